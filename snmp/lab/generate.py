"""Generate deterministic snmprec data for simulated GPON OLTs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from snmp.indexes import encode_index
from snmp.profiles import BrandProfile, get_profile

Row = tuple[str, str, str]

PORTS_PER_SLOT = 16
MAX_ONUS_PER_PORT = 128
# bytes written as plain text in snmprec; everything else is hex-encoded ("4x")
_PLAIN = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/:.,#()")
_MODELS = {
    "huawei": ["HG8245H", "EG8145V5", "HG8310M", "HS8545M5", "EG8141A5"],
    "zte": ["F601", "F660", "F670L", "F680"],
}
_ODD_DESCRIPTIONS = [
    "Señora Núñez".encode(),  # UTF-8 -> readable text
    "José Pérez".encode("latin-1"),  # not UTF-8 -> rendered as hex by the client
    b"",  # empty description
    b"tab\there|pipe",  # tab and a pipe (needs hex in snmprec)
    b"  padded  ",  # surrounding spaces (snmprec strips plain values)
]


@dataclass(frozen=True)
class LabOnu:
    """One simulated ONU and the values the lab serves for it."""

    raw_index: str
    frame: int
    slot: int
    port: int
    onu_id: int
    state: int
    serial: bytes
    description: bytes
    model: str
    distance: int
    rx_power: int
    tx_power: int


def oid_key(oid: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted OID."""
    return tuple(int(x) for x in oid.strip(".").split("."))


def _positions(profile: BrandProfile, onus: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Spread ONUs over slots (from 1) and 16 ports per slot, with gaps in ONU ids."""
    first_port, first_onu = (0, 0) if profile.key == "huawei" else (1, 1)
    frame = profile.formula.frame_offset
    out: list[tuple[int, ...]] = []
    slot, port_no = 1, 0
    while len(out) < onus:
        count = min(onus - len(out), rng.randint(1, 48))
        ids = sorted(rng.sample(range(first_onu, first_onu + MAX_ONUS_PER_PORT), count))
        out.extend((frame, slot, first_port + port_no, onu) for onu in ids)
        port_no += 1
        if port_no == PORTS_PER_SLOT:
            slot, port_no = slot + 1, 0
    return out


def _state(profile: BrandProfile, rng: random.Random) -> int:
    """Mostly online, some offline, a few odd states."""
    roll = rng.random()
    if profile.key == "huawei":
        return 1 if roll < 0.85 else (2 if roll < 0.98 else -1)
    return 4 if roll < 0.8 else (7 if roll < 0.9 else rng.choice([1, 2, 3, 5, 6]))


def _serial(profile: BrandProfile, rng: random.Random) -> bytes:
    """4 ASCII vendor bytes + 4 binary bytes; the first binary byte is never valid UTF-8."""
    vendor = b"HWTC" if profile.key == "huawei" else b"ZTEG"
    return vendor + bytes([0x80 | rng.randrange(0x40)] + [rng.randrange(256) for _ in range(3)])


def lab_onus(profile_key: str, onus: int, seed: int = 0) -> list[LabOnu]:
    """The simulated ONUs of one OLT, in index order, deterministic from the seed."""
    profile = get_profile(profile_key)
    rng = random.Random(f"{profile.key}:{seed}")
    result = []
    for n, (frame, slot, port, onu) in enumerate(_positions(profile, onus, rng)):
        state = _state(profile, rng)
        online = state in profile.online_states
        descr = f"cliente-{rng.randrange(10**7, 10**8)}".encode()
        if n % 13 == 7:
            descr = _ODD_DESCRIPTIONS[(n // 13) % len(_ODD_DESCRIPTIONS)]
        result.append(
            LabOnu(
                raw_index=encode_index(profile.formula, frame, slot, port, onu),
                frame=frame,
                slot=slot,
                port=port,
                onu_id=onu,
                state=state,
                serial=_serial(profile, rng),
                description=descr,
                model=rng.choice(_MODELS[profile.key]),
                distance=rng.randint(150, 19000) if online else -1,
                rx_power=rng.randint(-2800, -1300) if online else 2147483647,
                tx_power=rng.randint(150, 350) if online else 2147483647,
            )
        )
    return sorted(result, key=lambda o: oid_key(o.raw_index))


def octets_row(oid: str, value: bytes) -> Row:
    """An OctetString row: plain text when safe for snmprec, else the hex tag "4x"."""
    text_ok = value and all(b in _PLAIN for b in value) and value.strip() == value
    if text_ok:
        return (oid, "4", value.decode("ascii"))
    return (oid, "4x", value.hex())


def _system_rows(profile: BrandProfile, seed: int) -> list[Row]:
    """The SNMPv2-MIB system group."""
    sys_oid = "1.3.6.1.2.1.1"
    return [
        octets_row(f"{sys_oid}.1.0", profile.sys_descr.encode()),
        (f"{sys_oid}.2.0", "6", profile.sys_object_id),
        (f"{sys_oid}.3.0", "67", str(8_640_000 + seed * 100)),
        octets_row(f"{sys_oid}.4.0", b"noc@example.net"),
        octets_row(f"{sys_oid}.5.0", f"olt-{profile.key}-{seed:02d}".encode()),
        octets_row(f"{sys_oid}.6.0", b"Lab rack 1"),
    ]


def _onu_cell(kind: str, onu: LabOnu, oid: str) -> Row:
    """One column cell of one ONU."""
    integers = {
        "discovery": onu.state,
        "run_state": onu.state,
        "distance": onu.distance,
        "rx_power": onu.rx_power,
        "tx_power": onu.tx_power,
    }
    if kind in integers:
        return (oid, "2", str(integers[kind]))
    texts = {
        "serial": onu.serial,
        "description": onu.description,
        "onu_model": onu.model.encode(),
        "name": f"ONU-{onu.frame}/{onu.slot}/{onu.port}:{onu.onu_id}".encode(),
    }
    return octets_row(oid, texts[kind])


def generate_rows(profile_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[Row]:
    """snmprec rows (oid, tag, value) for one simulated OLT, sorted by numeric OID.

    ``absent`` is accepted for API compatibility and ignored: simulate absent ONUs by
    generating fewer of them.
    """
    if onus < 0:
        raise ValueError("onus must be >= 0")
    profile = get_profile(profile_key)
    rows = _system_rows(profile, seed)
    for onu in lab_onus(profile.key, onus, seed):
        rows.extend(_onu_cell(col.kind, onu, f"{col.oid}.{onu.raw_index}") for col in profile.oids)
    return sorted(rows, key=lambda r: oid_key(r[0]))


def write_snmprec(path: Path | str, rows: list[Row]) -> Path:
    """Write rows as an snmprec file (ASCII, one "oid|tag|value" per line)."""
    path = Path(path)
    path.write_text("".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows), "ascii")
    return path


def expected_onus(profile_key: str, onus: int, seed: int = 0) -> list[tuple[str, int]]:
    """(raw_index, discovery value) pairs the lab serves, in walk order."""
    return [(o.raw_index, o.state) for o in lab_onus(profile_key, onus, seed)]
