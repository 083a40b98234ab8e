"""Generate deterministic snmprec data for simulated GPON/EPON OLTs of every brand profile."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from snmp.indexes import IFNAME_OID, encode_index
from snmp.profiles import BrandProfile, ProfileOid, get_profile
from snmp.values import ValueRule

Row = tuple[str, str, str]

MAX_ONUS = 16_384
PORTS_PER_SLOT = 16
MAX_ONUS_PER_PORT = 128
# bytes written as plain text in snmprec; everything else is hex-encoded ("4x")
_PLAIN = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/:.,#()")
_ODD_DESCRIPTIONS = [
    "Señora Núñez".encode(),  # UTF-8 -> readable text
    "José Pérez".encode("latin-1"),  # not UTF-8 -> rendered as hex by the client
    b"",  # empty description
    b"tab\there|pipe",  # tab and a pipe (needs hex in snmprec)
    b"  padded  ",  # surrounding spaces (snmprec strips plain values)
    b"nul-padded\x00\x00",  # trailing NULs, as some OLTs pad fixed-size strings
]


@dataclass(frozen=True)
class Layout:
    """How the lab shapes one brand's OLT (lab data, not vendor knowledge)."""

    vendor: bytes
    models: tuple[str, ...]
    frame: int = 0
    first_slot: int = 1
    first_port: int = 1
    first_onu: int = 1
    ports_per_slot: int = PORTS_PER_SLOT
    onus_per_port: int = MAX_ONUS_PER_PORT
    serial_style: str = "octets"  # octets | text | auth_text | dashed
    mac_style: str = "octets"  # octets | dotted
    model_tag: str = "4"
    port_ifname: str = ""  # IF-MIB ifName of the PON port at the index's integer part
    onu_ifname: str = ""  # ONUs as interfaces: their own ifName


_ZTE_MODELS = ("F601", "F660", "F670L", "F680")
LAYOUTS: dict[str, Layout] = {
    "huawei": Layout(
        b"HWTC",
        ("HG8245H", "EG8145V5", "HG8310M", "HS8545M5", "EG8141A5"),
        first_port=0,
        first_onu=0,
        port_ifname="GPON {frame}/{slot}/{port}",
    ),
    "zte": Layout(b"ZTEG", _ZTE_MODELS, frame=1),
    "zte_v21": Layout(b"ZTEG", _ZTE_MODELS, frame=1, serial_style="auth_text"),
    "zte_c600": Layout(b"ZTEG", _ZTE_MODELS, frame=1),
    "fiberhome": Layout(b"FHTT", ("752", "689", "803"), serial_style="text", model_tag="2"),
    "vsol_epon": Layout(
        b"VSOL",
        ("V2801S", "V2802GW"),
        first_slot=0,
        ports_per_slot=10**6,
        onus_per_port=64,
        serial_style="dashed",
    ),
    "vsol_gpon": Layout(
        b"GPON", ("V2801RW", "V2804AX"), first_slot=0, ports_per_slot=10**6, serial_style="text"
    ),
    "cdata_gpon": Layout(b"DBCG", ("FD511G", "FD514GD"), frame=1),
    "cdata_epon": Layout(
        b"ZTEG",
        ("FD701GB", "FD702GW"),
        frame=1,
        onus_per_port=64,
        serial_style="text",
        mac_style="dotted",
    ),
    "generic": Layout(
        b"BDCM", ("GP1702",), first_slot=0, onus_per_port=64, onu_ifname="GPON{slot}/{port}:{onu}"
    ),
}


@dataclass(frozen=True)
class LabOnu:
    """One simulated ONU; ``rx_power``/``tx_power`` are the raw cells, ``*_dbm`` the truth."""

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
    rx_power: int | str | None
    tx_power: int | str | None
    rx_dbm: float | None = None
    tx_dbm: float | None = None
    olt_rx_dbm: float | None = None
    mac: bytes = b""
    if_name: str = ""

    @property
    def online(self) -> bool:
        """True when the lab generated optical readings for this ONU."""
        return self.rx_dbm is not None


def oid_key(oid: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted OID."""
    return tuple(int(x) for x in oid.strip(".").split("."))


def _positions(lay: Layout, onus: int, rng: random.Random) -> list[tuple[int, int, int, int]]:
    """Spread ONUs over slots and ports, with gaps in ONU ids."""
    out: list[tuple[int, int, int, int]] = []
    slot, port_no = lay.first_slot, 0
    while len(out) < onus:
        count = min(onus - len(out), rng.randint(1, min(48, lay.onus_per_port)))
        ids = sorted(rng.sample(range(lay.first_onu, lay.first_onu + lay.onus_per_port), count))
        out.extend((lay.frame, slot, lay.first_port + port_no, onu) for onu in ids)
        port_no += 1
        if port_no == lay.ports_per_slot:
            slot, port_no = slot + 1, 0
    return out


def _state(profile: BrandProfile, rng: random.Random) -> int:
    """Mostly online, some offline, a few odd states."""
    roll = rng.random()
    if profile.key == "huawei":
        return 1 if roll < 0.85 else (2 if roll < 0.98 else -1)
    online = min(profile.online_states)
    others = sorted(set(profile.state_labels) - profile.online_states)
    return online if roll < 0.8 else rng.choice(others)


def _dbm(rng: random.Random, low: int, high: int) -> float:
    """A reading in hundredths of dBm."""
    return rng.randint(low, high) / 100


def _onu(profile: BrandProfile, lay: Layout, n: int, pos: tuple, rng: random.Random) -> LabOnu:
    """One ONU at ``pos`` (frame, slot, port, onu); n is its position in generation order."""
    frame, slot, port, onu = pos
    state = _state(profile, rng)
    online = state in profile.online_states
    descr = f"cliente-{rng.randrange(10**7, 10**8)}".encode()
    if n % 13 == 7:
        descr = _ODD_DESCRIPTIONS[(n // 13) % len(_ODD_DESCRIPTIONS)]
    serial = lay.vendor + bytes([0x80 | rng.randrange(0x40)] + [rng.randrange(256) for _ in "abc"])
    rx = _dbm(rng, -2800, -1300) if online else None
    if online and profile.key.startswith("zte") and n % 29 == 3:
        rx = _dbm(rng, -3200, -3001)  # below -30 dBm: the ZTE raw value wraps past 30000
    if_name = lay.onu_ifname.format(frame=frame, slot=slot, port=port, onu=onu)
    raw_index = str(10_000 + n) if if_name else encode_index(profile.formula, *pos)
    return LabOnu(
        raw_index=raw_index, frame=frame, slot=slot, port=port, onu_id=onu, state=state,
        serial=serial, description=descr, model=rng.choice(lay.models),
        distance=rng.randint(150, 19000) if online else -1,
        rx_power=None, tx_power=None, rx_dbm=rx,
        tx_dbm=_dbm(rng, 150, 350) if online else None,
        olt_rx_dbm=_dbm(rng, -3000, -1500) if online else None,
        mac=bytes([0x00, 0x1A]) + rng.randbytes(4), if_name=if_name,
    )  # fmt: skip


def _with_raw_power(profile: BrandProfile, onu: LabOnu, n: int) -> LabOnu:
    """Fill rx_power/tx_power with the raw cells of the profile's first rx/tx columns."""
    raws = {}
    for kind, value in (("rx_power", onu.rx_dbm), ("tx_power", onu.tx_dbm)):
        cell = (
            _encode(profile.oid_of(kind).rule, value, _salt(onu)) if _has(profile, kind) else None
        )
        raws[kind] = None if cell is None else (int(cell[1]) if cell[0] == "2" else cell[1])
    return _replace(onu, rx_power=raws["rx_power"], tx_power=raws["tx_power"])


def _salt(onu: LabOnu) -> int:
    """A per-ONU number that picks which sentinel an offline ONU shows (stable under absent)."""
    return onu.port + onu.onu_id


def _has(profile: BrandProfile, kind: str) -> bool:
    """True if the profile has a column of this kind."""
    return any(o.kind == kind for o in profile.oids)


def _replace(onu: LabOnu, **changes: object) -> LabOnu:
    """dataclasses.replace without the import churn."""
    return LabOnu(**{**onu.__dict__, **changes})


def lab_onus(profile_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[LabOnu]:
    """The simulated ONUs of one OLT in index order, minus ``absent`` of them (deterministic)."""
    if not 0 <= onus <= MAX_ONUS:
        raise ValueError(f"onus must be between 0 and {MAX_ONUS}")
    if not 0 <= absent <= onus:
        raise ValueError("absent must be between 0 and onus")
    profile = get_profile(profile_key)
    lay = LAYOUTS[profile.key]
    rng = random.Random(f"{profile.key}:{seed}")
    result = [
        _with_raw_power(profile, _onu(profile, lay, n, pos, rng), n)
        for n, pos in enumerate(_positions(lay, onus, rng))
    ]
    result.sort(key=lambda o: oid_key(o.raw_index))
    gone = set(random.Random(f"{profile.key}:{seed}:absent").sample(range(onus), absent))
    return [o for i, o in enumerate(result) if i not in gone]


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


def _encode(rule: ValueRule, value: float | None, n: int) -> tuple[str, str] | None:
    """The (tag, text) cell whose rule gives ``value``; sentinels/empty text for None."""
    if rule.parse == "dbm_text":
        mw = "" if value is None else f"{10 ** (value / 10):.2f} mW ({value:.2f} dBm)"
        return ("4", mw) if mw else ("4x", "")
    if rule.parse == "decimal_text":
        return ("4", f"{value:.2f}") if value is not None else ("4x", "")
    if value is None:
        return ("2", str(rule.sentinels[n % len(rule.sentinels)])) if rule.sentinels else None
    raw = round((value - rule.offset) / rule.scale)
    if raw < 0 and rule.wrap_above is not None:
        raw += rule.wrap_modulus
    return ("2", str(raw))


def _serial_cell(lay: Layout, serial: bytes) -> bytes:
    """The serial as this brand serves it."""
    text = serial[:4] + serial[4:].hex().encode()
    styles = {"octets": serial, "text": text, "auth_text": b"1," + text}
    return styles.get(lay.serial_style, serial[:4] + b"-" + serial[4:].hex().encode())


def _mac_cell(lay: Layout, mac: bytes) -> bytes:
    """The MAC as this brand serves it."""
    if lay.mac_style == "dotted":
        h = mac.hex()
        return f"{h[0:4]}.{h[4:8]}.{h[8:12]}".encode()
    return mac


def _cell(lay: Layout, col: ProfileOid, onu: LabOnu) -> Row | None:
    """One column cell of one ONU (None: the OLT has no row for it)."""
    oid = f"{col.oid}.{onu.raw_index}{col.index_suffix}"
    if col.kind in ("discovery", "run_state", "distance"):
        return (oid, "2", str(onu.distance if col.kind == "distance" else onu.state))
    if col.kind in ("rx_power", "tx_power"):
        truth = {"rx_power": onu.rx_dbm, "tx_power": onu.tx_dbm, "olt_rx_power": onu.olt_rx_dbm}
        cell = _encode(col.rule, truth[col.name], _salt(onu))
        return None if cell is None else (oid, *cell)
    if col.kind == "onu_model" and lay.model_tag == "2":
        return (oid, "2", onu.model)
    texts = {
        "serial": lambda: _serial_cell(lay, onu.serial),
        "mac": lambda: _mac_cell(lay, onu.mac),
        "description": lambda: onu.description,
        "onu_model": lambda: onu.model.encode() + (b"\x00\x00" if onu.onu_id % 17 == 5 else b""),
        "name": lambda: (
            onu.if_name or f"ONU-{onu.frame}/{onu.slot}/{onu.port}:{onu.onu_id}"
        ).encode(),
    }
    if col.kind == "description" and col.name == "if_descr":
        return octets_row(oid, onu.if_name.encode())
    return octets_row(oid, texts[col.kind]())


def _port_ifname_rows(lay: Layout, onus: list[LabOnu]) -> list[Row]:
    """IF-MIB ifName of each PON port whose ifIndex is the index's integer part."""
    if not lay.port_ifname:
        return []
    ports = {o.raw_index.split(".")[0]: o for o in onus}
    return [
        octets_row(f"{IFNAME_OID}.{ifx}", lay.port_ifname.format(**o.__dict__).encode())
        for ifx, o in ports.items()
    ]


def generate_rows(profile_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[Row]:
    """snmprec rows (oid, tag, value) for one simulated OLT, sorted by numeric OID.

    ``absent`` ONUs are left out of every column (same ONUs as ``lab_onus(..., absent=)``).
    """
    if onus < 0:
        raise ValueError("onus must be >= 0")
    profile = get_profile(profile_key)
    lay = LAYOUTS[profile.key]
    present = lab_onus(profile.key, onus, seed, absent)
    # each block is already in OID order (ONUs are sorted by index, columns are not prefixes of
    # one another), so sorting the blocks by their first OID sorts the recording
    blocks = [[row] for row in _system_rows(profile, seed)]
    blocks.append(sorted(_port_ifname_rows(lay, present), key=lambda r: oid_key(r[0])))
    for col in profile.oids:
        cells = (_cell(lay, col, onu) for onu in present)
        blocks.append([c for c in cells if c is not None])
    blocks = sorted((b for b in blocks if b), key=lambda b: oid_key(b[0][0]))
    return [row for block in blocks for row in block]


def write_snmprec(path: Path | str, rows: list[Row]) -> Path:
    """Write rows as an snmprec file (ASCII, one "oid|tag|value" per line)."""
    path = Path(path)
    path.write_text("".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows), "ascii")
    return path


def expected_onus(profile_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[tuple]:
    """(raw_index, discovery value) pairs the lab serves, in walk order."""
    return [(o.raw_index, o.state) for o in lab_onus(profile_key, onus, seed, absent)]
