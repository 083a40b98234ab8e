"""Generate deterministic snmprec data for simulated OLTs of every profile, at any scale.

A *shape* says which profile's columns a simulated OLT answers (which firmware trees), and
how it writes its serials and dates. The lab encodes every index with the column's own
formula, so it proves nothing about the formulas: that is what the hand-written recordings of
tests/recordings/ are for. The lab is for scale (up to 16,384 ONUs), demos and benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from snmp.indexes import IFDESCR_OID, IFNAME_OID, IndexFormula, encode_index
from snmp.profiles import Column, Profile, get_profile
from snmp.values import ValueRule

Row = tuple[str, str, str]

MAX_ONUS = 16_384
PORTS_PER_SLOT = 16
MAX_ONUS_PER_PORT = 128
# the lab's clock: uptimes are relative to this instant (deterministic recordings)
LAB_EPOCH = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# bytes written as plain text in snmprec; everything else is hex-encoded ("4x")
_PLAIN = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/:.,#()")
ODD_DESCRIPTIONS = [
    "Señora Núñez".encode(),  # UTF-8
    "José Pérez".encode("latin-1"),  # not UTF-8: Windows-1252/Latin-1 text
    b"",  # empty description
    b"tab\there|pipe",  # tab and a pipe (needs hex in snmprec)
    b"  padded  ",  # surrounding spaces (snmprec strips plain values)
    b"nul-padded\x00\x00",  # trailing NULs, as some OLTs pad fixed-size strings
]


@dataclass(frozen=True)
class Shape:
    """How the lab builds one kind of OLT (lab data, not vendor knowledge)."""

    profile: str
    trees: frozenset[str]  # Column.tree values served ("" = columns without a tree)
    vendor: bytes
    models: tuple[str, ...]
    frame: int = 0
    first_slot: int = 1
    first_port: int = 1
    first_onu: int = 1
    ports_per_slot: int = PORTS_PER_SLOT
    onus_per_port: int = MAX_ONUS_PER_PORT
    serial_style: str = "octets"  # octets | text | auth_text | dashed
    serial_styles: dict[str, str] = field(default_factory=dict)  # per column OID
    mac_style: str = "octets"  # octets | dotted
    model_codes: bool = False  # ONU model as an integer code (FiberHome)
    port_ifname: str = ""  # IF-MIB ifName of each PON port (Huawei: walks PON by PON)
    onu_ifname: str = ""  # ONUs as interfaces: their ifName ("GPON0/{port}:{onu}")
    date_text: str = ""  # dates as text in this strftime format (else DateAndTime octets)
    sys_descr: str = ""
    sys_object_id: str = ""


_ZTE_MODELS = ("F601", "F660", "F670L", "F680")
SHAPES: dict[str, Shape] = {
    "huawei": Shape(
        "huawei", frozenset({""}), b"HWTC",
        ("HG8245H", "EG8145V5", "HG8310M", "HS8545M5", "EG8141A5"),
        first_port=0, first_onu=0, port_ifname="GPON {frame}/{slot}/{port}",
        sys_descr="Huawei Integrated Access Software", sys_object_id="1.3.6.1.4.1.2011.2.248",
    ),
    "zte": Shape(
        "zte", frozenset({"1012", "1015"}), b"ZTEG", _ZTE_MODELS, frame=1,
        date_text="%Y-%m-%d %H:%M:%S",
        sys_descr="C320 Version V1.2.5 Software, Copyright (c) by ZTE Corporation Compiled",
        sys_object_id="1.3.6.1.4.1.3902.1082.1001.320.1.1",
    ),
    "zte_v21": Shape(
        "zte", frozenset({"1082.500"}), b"ZTEG", _ZTE_MODELS, frame=1, serial_style="auth_text",
        sys_descr="C320 Version V2.1.0 Software, Copyright (c) by ZTE Corporation Compiled",
        sys_object_id="1.3.6.1.4.1.3902.1082.1001.320.2.1",
    ),
    "zte_c600": Shape(
        "zte_c600", frozenset({"1082.500"}), b"ZTEG", _ZTE_MODELS, frame=1,
        serial_styles={"1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.18": "auth_text"},
        sys_descr="ZXA10 C620, ZTE ZXA10 Software Version: V1.2.2",
        sys_object_id="1.3.6.1.4.1.3902.1082.1001.620.1.1",
    ),
    "fiberhome": Shape(
        "fiberhome", frozenset({""}), b"FHTT", ("752", "689", "803"), serial_style="text",
        model_codes=True, sys_descr="AN5516-01", sys_object_id="1.3.6.1.4.1.5875.800.1001.11",
    ),
    "vsol_epon": Shape(
        "vsol", frozenset({"EPON"}), b"VSOL", ("V2801S", "V2802GW"), first_slot=0,
        ports_per_slot=10**6, onus_per_port=64, serial_style="dashed",
        date_text="%Y/%m/%d %H:%M:%S",
        sys_descr="V1600D", sys_object_id="1.3.6.1.4.1.37950.1.1.5.10.14.1",
    ),
    "vsol_gpon": Shape(
        "vsol", frozenset({"GPON"}), b"GPON", ("V2801RW", "V2804AX"), first_slot=0,
        ports_per_slot=10**6, serial_style="text", date_text="%Y/%m/%d %H:%M:%S",
        sys_descr="V1600GS", sys_object_id="1.3.6.1.4.1.37950.1.1.5.10.14.1",
    ),
    "cdata_gpon": Shape(
        "cdata", frozenset({"GPON"}), b"DBCG", ("FD511G", "FD514GD"), frame=1,
        sys_descr="olt-cdata-gpon", sys_object_id="1.3.6.1.4.1.17409",
    ),
    "cdata_epon": Shape(
        "cdata", frozenset({"EPON"}), b"ZTEG", ("FD701GB", "FD702GW"), frame=1,
        onus_per_port=64, serial_style="text", mac_style="dotted",
        sys_descr="olt-cdata-epon", sys_object_id="1.3.6.1.4.1.17409",
    ),
    "bdcom": Shape(
        "bdcom", frozenset({"IF-MIB", "GPON"}), b"BDCM", ("GP1702",), first_slot=0,
        onus_per_port=64, onu_ifname="GPON{slot}/{port}:{onu}",
        sys_descr="BDCOM(tm) GP3600-16B Software, Version 74104",
        sys_object_id="1.3.6.1.4.1.3320.1.390.0",
    ),
    "ufiber": Shape(
        "ufiber", frozenset({""}), b"UBNT", ("NanoG", "Loco"), first_slot=0,
        ports_per_slot=8, onus_per_port=64, serial_style="text",
        sys_descr="EdgeOS v4.4.2.4598.220304.1412", sys_object_id="1.3.6.1.4.1.41112.1.5",
    ),
    "generic": Shape(
        "generic", frozenset({"IF-MIB"}), b"BDCM", ("GP1702",), first_slot=0, onus_per_port=64,
        onu_ifname="GPON{slot}/{port}:{onu}", sys_descr="Generic PON OLT",
        sys_object_id="1.3.6.1.4.1.99999.1",
    ),
}  # fmt: skip
# earlier names of shapes
SHAPES["zte_legacy"] = SHAPES["zte"]


def get_shape(key: str) -> Shape:
    """A lab shape by name; KeyError listing the known ones."""
    try:
        return SHAPES[key.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown lab shape {key!r}; known: {sorted(SHAPES)}") from None


@dataclass(frozen=True)
class LabOnu:
    """One simulated ONU and the truth about it (what a poll must find)."""

    raw_index: str  # its index in the shape's enumerating table
    frame: int
    slot: int
    port: int
    onu_id: int
    online: bool
    serial: bytes
    description: bytes
    model: str
    distance: int | None
    rx_dbm: float | None
    tx_dbm: float | None
    olt_rx_dbm: float | None
    mac: bytes
    if_name: str
    if_index: int
    online_since: datetime | None
    down_cause: int
    by_serial: bool = False  # the OLT indexes its tables by serial (UFiber)
    offline_reason: str = ""  # "los" or "dying_gasp": what a story made it report (stories.py)

    @property
    def position(self) -> str:
        """The position a poll stores it under ("frame/slot/port:onu", or the serial)."""
        if self.by_serial:  # the index spells the serial as the OLT writes it
            return self.serial[:4].decode() + self.serial[4:].hex()
        return f"{self.frame}/{self.slot}/{self.port}:{self.onu_id}"

    @property
    def serial_text(self) -> str:
        """The serial as oltwatch renders it ("HWTC1A2B3C4D")."""
        return self.serial[:4].decode() + self.serial[4:].hex().upper()

    def state_in(self, column: Column) -> int:
        """The value a state column shows for it (its online value, or an offline one)."""
        return _enum(column, self)


def oid_key(oid: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted OID."""
    return tuple(int(x) for x in oid.strip(".").split("."))


def served_columns(shape: Shape) -> list[Column]:
    """The columns of the shape's profile that its OLT answers."""
    return [c for c in get_profile(shape.profile).columns if c.tree in shape.trees]


def _positions(lay: Shape, onus: int, rng: random.Random) -> list[tuple[int, int, int, int]]:
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


def _dbm(rng: random.Random, low: int, high: int) -> float:
    return rng.randint(low, high) / 100


def _index(formula: IndexFormula, onu: LabOnu) -> str:
    """The ONU's index in a table decoded with ``formula``."""
    if formula.mode == "ifname":
        return str(onu.if_index) + (f".{onu.onu_id}" if formula.onu_from_dot else "")
    if formula.mode == "string":
        text = onu.position.encode()
        return ".".join(str(n) for n in (len(text), *text))
    return encode_index(formula, onu.frame, onu.slot, onu.port, onu.onu_id)


def _primary_formula(shape: Shape) -> IndexFormula:
    profile = get_profile(shape.profile)
    columns = [c for c in profile.presence_candidates() if c.tree in shape.trees]
    return profile.formula_of(columns[0])


def _onu(shape: Shape, n: int, pos: tuple, rng: random.Random) -> LabOnu:
    frame, slot, port, onu_id = pos
    online = rng.random() < 0.82
    descr = f"cliente-{rng.randrange(10**7, 10**8)}".encode()
    if n % 13 == 7:
        descr = ODD_DESCRIPTIONS[(n // 13) % len(ODD_DESCRIPTIONS)]
    serial = shape.vendor + bytes(
        [0x80 | rng.randrange(0x40)] + [rng.randrange(256) for _ in "abc"]
    )
    rx = _dbm(rng, -2800, -1300) if online else None
    if online and shape.profile.startswith("zte") and n % 29 == 3:
        rx = _dbm(rng, -3200, -3001)  # below -30 dBm: the ZTE raw value wraps past 30000
    if_name = shape.onu_ifname.format(frame=frame, slot=slot, port=port, onu=onu_id)
    since = LAB_EPOCH - timedelta(seconds=rng.randint(600, 90 * 86400)) if online else None
    return LabOnu(
        raw_index="", frame=frame, slot=slot, port=port, onu_id=onu_id, online=online,
        serial=serial, description=descr, model=rng.choice(shape.models),
        distance=rng.randint(150, 19000) if online else None, rx_dbm=rx,
        tx_dbm=_dbm(rng, 150, 350) if online else None,
        olt_rx_dbm=_dbm(rng, -3000, -1500) if online else None,
        mac=bytes([0x00, 0x1A]) + rng.randbytes(4), if_name=if_name,
        if_index=10_000 + n, online_since=since.replace(microsecond=0) if since else None,
        down_cause=rng.randrange(1000),
    )  # fmt: skip


def lab_onus(shape_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[LabOnu]:
    """The simulated ONUs of one OLT in index order, minus ``absent`` of them (deterministic)."""
    if not 0 <= onus <= MAX_ONUS:
        raise ValueError(f"onus must be between 0 and {MAX_ONUS}")
    if not 0 <= absent <= onus:
        raise ValueError("absent must be between 0 and onus")
    shape = get_shape(shape_key)
    rng = random.Random(f"{shape_key}:{seed}")
    formula = _primary_formula(shape)
    result = []
    for n, pos in enumerate(_positions(shape, onus, rng)):
        onu = _replace(_onu(shape, n, pos, rng), by_serial=formula.mode == "string")
        result.append(_replace(onu, raw_index=_index(formula, onu)))
    result.sort(key=lambda o: oid_key(o.raw_index))
    gone = set(random.Random(f"{shape_key}:{seed}:absent").sample(range(onus), absent))
    return [o for i, o in enumerate(result) if i not in gone]


def _replace(onu: LabOnu, **changes: object) -> LabOnu:
    return LabOnu(**{**onu.__dict__, **changes})


def octets_row(oid: str, value: bytes) -> Row:
    """An OctetString row: plain text when safe for snmprec, else the hex tag "4x"."""
    text_ok = value and all(b in _PLAIN for b in value) and value.strip() == value
    if text_ok:
        return (oid, "4", value.decode("ascii"))
    return (oid, "4x", value.hex())


def _system_rows(shape: Shape, key: str, seed: int) -> list[Row]:
    """The SNMPv2-MIB system group (and UFiber's product model)."""
    sys_oid = "1.3.6.1.2.1.1"
    rows = [
        octets_row(f"{sys_oid}.1.0", shape.sys_descr.encode()),
        (f"{sys_oid}.2.0", "6", shape.sys_object_id),
        (f"{sys_oid}.3.0", "67", str(8_640_000 + seed * 100)),
        octets_row(f"{sys_oid}.4.0", b"noc@example.net"),
        octets_row(f"{sys_oid}.5.0", f"olt-{key}-{seed:02d}".replace("_", "-").encode()),
        octets_row(f"{sys_oid}.6.0", b"Lab rack 1"),
    ]
    if shape.profile == "ufiber":
        rows.append(octets_row("1.3.6.1.4.1.41112.1.5.1.1.0", b"UFiber OLT"))
    return rows


def encode_number(rule: ValueRule, value: float | None, salt: int) -> tuple[str, str] | None:
    """The (tag, text) cell whose rule gives ``value``; a sentinel or empty text for None."""
    if rule.parse == "dbm_text":
        mw = "" if value is None else f"{10 ** (value / 10):.2f} mW ({value:.2f} dBm)"
        return ("4", mw) if mw else ("4x", "")
    if rule.parse == "decimal_text":
        return ("4", f"{value:.2f}") if value is not None else ("4x", "")
    if value is None:
        numbers = [s for s in rule.sentinels if isinstance(s, int)]
        return ("2", str(numbers[salt % len(numbers)])) if numbers else None
    raw = round((value - rule.offset) / rule.scale)
    if rule.wrap_above is not None and raw < 0 and rule.wrap_above > 0:
        raw += rule.wrap_modulus
    elif (
        rule.wrap_above is not None
        and rule.wrap_above <= 0 < raw + rule.wrap_modulus <= rule.wrap_modulus
    ):
        raw += rule.wrap_modulus  # Huawei OLT-side rx: the offset encoding most OLTs send
    return ("2", str(raw))


def _serial_cell(shape: Shape, column: Column, serial: bytes) -> bytes:
    style = shape.serial_styles.get(column.oid, shape.serial_style)
    text = serial[:4] + serial[4:].hex().encode()
    styles = {"octets": serial, "text": text, "auth_text": b"1," + text}
    return styles.get(style, serial[:4] + b"-" + serial[4:].hex().encode())


def _mac_cell(shape: Shape, mac: bytes) -> bytes:
    if shape.mac_style == "dotted":
        h = mac.hex()
        return f"{h[0:4]}.{h[4:8]}.{h[8:12]}".encode()
    return mac


REASON_WORDS = {"los": ("los",), "dying_gasp": ("dying", "gasp", "power")}


def _by_reason(column: Column, values: list[int], onu: LabOnu) -> list[int]:
    """The values whose label says the ONU's offline reason (all of them when none does)."""
    words = REASON_WORDS.get(onu.offline_reason, ())
    told = [v for v in values if any(w in column.labels[v].lower() for w in words)]
    return told or values


def _enum(column: Column, onu: LabOnu) -> int:
    """A state value (the column's own online value, or an offline one) or a down cause."""
    if column.attribute == "state":
        if onu.online:
            return min(column.online)
        others = sorted(set(column.labels) - column.online)
        off = [v for v in others if any(w in column.labels[v].lower() for w in ("off", "down"))]
        if onu.offline_reason:
            off = _by_reason(column, others, onu)
        return (off or others)[onu.down_cause % len(off or others)]
    values = (
        _by_reason(column, sorted(column.labels), onu)
        if onu.offline_reason
        else sorted(column.labels)
    )
    return values[onu.down_cause % len(values)]


def _date_cell(shape: Shape, when: datetime | None) -> tuple[str, str]:
    if shape.date_text:
        if when is None:  # V-SOL says "N/A"; ZTE's text dates are all zeros
            return ("4", "N/A" if "/" in shape.date_text else "0000-00-00 00:00:00")
        return ("4", when.strftime(shape.date_text))
    if when is None:
        return ("4x", "00" * 8)
    octets = when.year.to_bytes(2, "big") + bytes(
        [when.month, when.day, when.hour, when.minute, when.second, 0, ord("+"), 0, 0]
    )
    return ("4x", octets.hex())


def _numeric_truth(column: Column, onu: LabOnu) -> float | None:
    return {
        "rx_power": onu.rx_dbm,
        "tx_power": onu.tx_dbm,
        "olt_rx_power": onu.olt_rx_dbm,
        "distance": onu.distance,
        "pon_port": onu.port if onu.online else None,
    }[column.attribute]


def _cell(shape: Shape, profile: Profile, column: Column, onu: LabOnu) -> Row | None:
    """One cell of one ONU (None: the OLT has no row for it)."""
    oid = f"{column.oid}.{_index(profile.formula_of(column), onu)}{column.index_suffix}"
    a = column.attribute
    if a == "state" or (a == "last_down_cause" and column.labels):
        return (oid, "2", str(_enum(column, onu)))
    if a in ("rx_power", "tx_power", "olt_rx_power", "distance", "pon_port"):
        if a == "distance" and onu.distance is None:
            return (oid, "2", "0" if (column.rule.valid_min or 0) >= 1 else "-1")
        cell = encode_number(column.rule, _numeric_truth(column, onu), onu.port + onu.onu_id)
        return None if cell is None else (oid, *cell)
    if a == "uptime":
        if column.rule.parse == "seconds":
            seconds = int((LAB_EPOCH - onu.online_since).total_seconds()) if onu.online_since else 0
            return (
                (oid, "67", str(seconds * 100))
                if shape.profile == "ufiber"
                else (oid, "65", str(seconds))
            )
        return (oid, *_date_cell(shape, onu.online_since))
    if a == "onu_model" and shape.model_codes:
        return (oid, "2", onu.model)
    texts = {
        "serial": lambda: _serial_cell(shape, column, onu.serial),
        "mac": lambda: _mac_cell(shape, onu.mac),
        "description": lambda: onu.description,
        "onu_model": lambda: onu.model.encode() + (b"\x00\x00" if onu.onu_id % 17 == 5 else b""),
        "name": lambda: (onu.if_name or f"ONU-{onu.position}").encode(),
        "last_down_cause": lambda: (
            onu.offline_reason.replace("_", "-").encode()
            if onu.offline_reason
            else (b"dying-gasp" if onu.down_cause % 2 else b"los")
        ),
    }
    if column.mib_name == "ifDescr":
        return octets_row(oid, onu.if_name.encode())
    if column.mib_name == "ifAlias":
        return octets_row(oid, onu.description if onu.onu_id % 3 == 0 else b"")
    return octets_row(oid, texts[a]())


def _if_rows(shape: Shape, onus: list[LabOnu], formula: IndexFormula) -> list[Row]:
    """IF-MIB names: each PON port's (Huawei), or ONU interfaces, PON ports and uplinks."""
    rows: list[Row] = []
    if shape.port_ifname:
        ports = {o.raw_index.split(".")[0]: o for o in onus}
        for ifx, o in ports.items():
            rows.append(
                octets_row(f"{IFNAME_OID}.{ifx}", shape.port_ifname.format(**o.__dict__).encode())
            )
    if shape.onu_ifname:
        named = {1: b"GigaEthernet0/1", 2: b"TGigaEthernet0/1", 3: b"Null0"}
        pons = sorted({(o.slot, o.port) for o in onus})
        for n, (slot, port) in enumerate(pons):
            named[100 + n] = f"GPON{slot}/{port}".encode()
        named.update({o.if_index: o.if_name.encode() for o in onus})
        for ifx, name in named.items():
            rows.append(octets_row(f"{IFNAME_OID}.{ifx}", name))
            rows.append(octets_row(f"{IFDESCR_OID}.{ifx}", name))
        if "IF-MIB" not in shape.trees:
            return rows
        oper = "1.3.6.1.2.1.2.2.1.8"
        for ifx in named:
            if ifx < 10_000:
                rows.append((f"{oper}.{ifx}", "2", "1"))
    return rows


def generate_rows(shape_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[Row]:
    """snmprec rows (oid, tag, value) for one simulated OLT, sorted by numeric OID."""
    if onus < 0:
        raise ValueError("onus must be >= 0")
    return rows_of(shape_key, lab_onus(shape_key, onus, seed, absent), seed)


def rows_of(shape_key: str, present: list[LabOnu], seed: int = 0) -> list[Row]:
    """snmprec rows of an OLT serving exactly these ONUs (a story changes them between polls)."""
    shape = get_shape(shape_key)
    profile = get_profile(shape.profile)
    rows = _system_rows(shape, shape_key, seed) + _if_rows(shape, present, _primary_formula(shape))
    for column in served_columns(shape):
        for onu in present:
            cell = _cell(shape, profile, column, onu)
            if cell is not None:
                rows.append(cell)
    unique = {r[0]: r for r in rows}  # an IF-MIB row of an ONU replaces the generic one
    return sorted(unique.values(), key=lambda r: oid_key(r[0]))


def write_snmprec(path: Path | str, rows: list[Row]) -> Path:
    """Write rows as an snmprec file (ASCII, one "oid|tag|value" per line)."""
    path = Path(path)
    path.write_text("".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows), "ascii")
    return path


def state_column(shape_key: str) -> Column:
    """The state column that enumerates the ONUs of a shape."""
    shape = get_shape(shape_key)
    profile = get_profile(shape.profile)
    return next(c for c in profile.presence_candidates() if c.tree in shape.trees)


def expected_onus(shape_key: str, onus: int, seed: int = 0, absent: int = 0) -> list[tuple]:
    """(raw_index, state value) pairs of the shape's state column, in walk order."""
    column = state_column(shape_key)
    return [(o.raw_index, _enum(column, o)) for o in lab_onus(shape_key, onus, seed, absent)]


def _decoded_text(raw: bytes) -> str | None:
    from snmp.values import decode_text

    return decode_text(raw.rstrip(b"\x00")).strip() or None


def chosen_columns(shape_key: str) -> dict[str, Column]:
    """Per attribute, the first column the shape serves (the one a poll uses)."""
    out: dict[str, Column] = {}
    for column in served_columns(get_shape(shape_key)):
        out.setdefault(column.attribute, column)
    return out


def truth(shape_key: str, onu: LabOnu, attribute: str) -> object:
    """What a poll of the shape must store for the ONU's attribute (lab truth)."""
    column = chosen_columns(shape_key)[attribute]
    if attribute in ("state", "last_down_cause") and column.labels:
        return column.labels[_enum(column, onu)]
    if column.mib_name == "ifAlias":  # where set, else ifDescr stands in
        alias = _decoded_text(onu.description) if onu.onu_id % 3 == 0 else None
        return alias or onu.if_name
    simple = {
        "serial": lambda: onu.serial_text,
        "mac": lambda: ":".join(f"{b:02X}" for b in onu.mac),
        "name": lambda: onu.if_name or f"ONU-{onu.position}",
        "description": lambda: (
            onu.if_name if column.mib_name == "ifDescr" else _decoded_text(onu.description)
        ),
        "onu_model": lambda: onu.model,
        "distance": lambda: onu.distance,
        "rx_power": lambda: onu.rx_dbm,
        "tx_power": lambda: onu.tx_dbm,
        "olt_rx_power": lambda: onu.olt_rx_dbm,
        "uptime": lambda: onu.online_since,
        "pon_port": lambda: onu.port if onu.online else None,
        "last_down_cause": lambda: "dying-gasp" if onu.down_cause % 2 else "los",
    }
    return simple[attribute]()
