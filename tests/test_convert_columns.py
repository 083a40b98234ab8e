"""The per-column conversion (Converter.values, int_converter) gives exactly what the per-row
path (Converter.value, apply_rule) gives, errors counted alike."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from jobs.types._rows import Converter, Decoded, decode_rows, paused_gc
from snmp.codec import VarBind
from snmp.indexes import encode_index
from snmp.profiles import get_profile
from snmp.values import (
    ValueRule,
    ValueRuleError,
    apply_rule,
    int_column,
    int_converter,
    octets_column,
    octets_converter,
)

RULES = [
    ValueRule(),
    ValueRule(sentinels=(2147483647, 4294967295), valid_min=0),
    ValueRule(scale=0.01, sentinels=(2147483647, -2147483648), round_to=2),
    ValueRule(scale=0.01, wrap_above=0, wrap_modulus=10000, round_to=2, sentinels=(-1,)),
    ValueRule(scale=0.1, offset=-40, valid_min=-50, valid_max=10, round_to=1),
    ValueRule(scale=2, offset=3),
    ValueRule(sentinels=("N/A", 0), valid_max=100),
]
INTS = [0, 1, -1, 5, 99, 100, 101, -2000, 2500, 32767, 65535, 2147483647, -2147483648, 10**400]


def _per_row(rule: ValueRule, raw: int):
    try:
        return apply_rule(rule, VarBind("1.3.6.1.1", "Integer", raw))
    except ValueRuleError:
        return ValueRuleError


@pytest.mark.parametrize("rule", RULES)
def test_int_converter_agrees_with_apply_rule(rule):
    convert = int_converter(rule)
    for raw in INTS:
        try:
            fast = convert(raw)
        except (ValueError, OverflowError):
            fast = ValueRuleError
        expected = _per_row(rule, raw)
        assert fast == expected and type(fast) is type(expected), (rule, raw)


@pytest.mark.parametrize("rule", RULES)
def test_int_column_agrees_with_int_converter_row_by_row(rule):
    """Whole columns: typical readings, with sentinels among them, with values outside the
    valid range or above the wrap, each converted as int_converter converts it alone."""
    import random

    convert, column = int_converter(rule), int_column(rule)
    draw = random.Random(11)
    usual = [draw.randint(-3000, 3000) for _ in range(500)]
    cases = [[], usual, [0], [-0], usual + [2147483647, -2147483648, -1, 0] * 3]
    cases += [usual + [raw] for raw in INTS if raw != 10**400]
    cases += [[draw.choice(INTS[:-1]) for _ in range(40)] for _ in range(30)]
    for raws in cases:
        expected = [convert(raw) for raw in raws]
        got = column(list(raws))
        assert got == expected, (rule, raws)
        assert list(map(type, got)) == list(map(type, expected)), (rule, raws)
        assert [str(v) for v in got] == [str(v) for v in expected]  # -0.0 is not 0.0
    try:  # an int too big for a float scale: the column raises as int_converter does, and
        huge = [convert(1), convert(10**400)]  # the caller goes row by row
    except OverflowError:
        with pytest.raises(OverflowError):
            column([1, 10**400])
    else:
        assert column([1, 10**400]) == huge


# the last: ASCII text that is also a valid DateAndTime (1857-01-01), so only the sentinel
# check can tell it from a date
ODD_SENTINEL = "\x07A" + "\x01" * 6


@pytest.mark.parametrize("parse", ["text", "serial", "date_and_time", "mac", "hex"])
@pytest.mark.parametrize("sentinels", [(), ("N/A", "none", "HWTC1A2B3C4D", "", ODD_SENTINEL)])
def test_octets_column_agrees_with_octets_converter_row_by_row(parse, sentinels):
    """Whole columns of the usual octets (plain text, 8-octet serials), with empty values and
    sentinels among them, and columns with one odd value, each as octets_converter gives it."""
    import random

    rule = ValueRule(parse=parse, sentinels=sentinels)
    convert, column = octets_converter(rule), octets_column(rule)
    if convert is None:
        assert column is None
        return
    draw = random.Random(5)
    texts = [f"cliente {n} calle {draw.randint(1, 999)}".encode() for n in range(300)]
    texts += [b"", b"\x00\x00", b"  padded \x00", b"N/A", b"none", b"tab\there", b" "]
    serials = [b"HWTC" + draw.randbytes(4) for _ in range(300)]
    serials += [b"ZTEG\x00\x00\x00\x01", b"HWTC\x1a\x2b\x3c\x4d", b"hwtc\xff\xff\xff\xff"]
    dates = [  # DateAndTime: 8 octets, and 11 with a zone (UTC, east, west)
        bytes([7, 233, draw.randint(1, 12), draw.randint(1, 28), draw.randint(0, 23)])
        + bytes([draw.randint(0, 59), draw.randint(0, 60), draw.randint(0, 9)])
        + draw.choice([b"", b"+\x00\x00", b"+\x02\x00", b"-\x05\x1e"])
        for _ in range(300)
    ]
    longer = [d for d in dates if len(d) == 11]
    cases = [[], texts, serials, texts + serials, dates, longer, [d[:8] for d in longer]]
    cases += [
        [b"\x00" * 8] + longer,
        [b"\x07\xe9\x0d\x01\x00\x00\x00\x00"] + [d[:8] for d in longer],
    ]
    cases += [longer + [longer[0][:8] + b"*\x00\x00"], longer + [longer[0][:8] + b"+\x0f\x00"]]
    blank = b"\t\n\t\t\t\t\t\t"  # white space only (no date), though it reads as 2314-09-09
    cases += [[d[:8] for d in longer] + [blank], longer + [blank + b"+\x00\x00"]]
    # sentinels and blanks among dates: those rows as convert() says, the rest whole
    nul_space = b"\x00 \x00\x00\x00\x00\x00\x00"  # not blank to convert(): " " is left
    cases += [
        [blank, *longer[:50], b"N/A".ljust(11), *longer[50:], b"\x00" * 11],
        [b"none".ljust(8), *[d[:8] for d in longer], nul_space, b"\x00" * 8],
        [b"\x00" * 8] * 3,
        [*[d[:8] for d in longer], ODD_SENTINEL.encode(), blank],
        [b"\x00" * 8, *longer, *[d[:8] for d in longer[:5]]],  # two sizes: row by row
    ]
    cases += [
        longer + [b"\x00\x00" + longer[0][2:]],
        longer + [longer[0][:2] + b"\x00" + longer[0][3:]],
    ]
    for usual in (texts, serials, longer, [d[:8] for d in longer]):
        cases += [usual + [odd] for odd in OCTETS]  # one odd value in a usual column
    for raws in cases:
        expected = [convert(raw) for raw in raws]
        got = octets_column(rule)(list(raws))
        assert got == expected, (parse, raws)
        assert list(map(repr, got)) == list(map(repr, expected))  # zones too (UTC, or none)


def test_int_converter_is_only_for_integer_rules():
    assert int_converter(ValueRule(parse="text")) is None
    assert int_converter(ValueRule(parse="seconds")) is None


def _column(attribute: str, rule: ValueRule, labels=None):
    return SimpleNamespace(attribute=attribute, rule=rule, labels=labels or {})


def _decoded(values: list[tuple[str, object]]) -> Decoded:
    out = Decoded()
    for n, (kind, value) in enumerate(values):
        out.by_position[f"0/1/{n}:1"] = (None, str(n), VarBind(f"1.3.{n}", kind, value))
    return out


@pytest.mark.parametrize(
    "attribute,rule,labels",
    [
        ("rx_power", RULES[2], None),
        ("olt_rx_power", RULES[3], None),
        ("distance", RULES[1], None),
        ("distance", ValueRule(scale=0.5), None),
        ("last_down_cause", ValueRule(), {1: "LOS", 2: "dying-gasp"}),
        ("uptime", ValueRule(parse="seconds"), None),
        ("uptime", ValueRule(valid_min=0), None),
        ("pon_port", ValueRule(), None),
        ("state", ValueRule(), None),
        ("description", ValueRule(parse="text"), None),
    ],
)
@pytest.mark.parametrize("mixed", [True, False])  # False: a column of Integer rows only
def test_values_agree_with_value_row_by_row(attribute, rule, labels, mixed):
    rows = [("Integer", v) for v in INTS if mixed or v < 10**400]
    if mixed:
        rows += [("Integer", True), ("Gauge32", 7)]
        rows += [("OctetString", "12"), ("Null", None), ("TimeTicks", 360000)]
    decoded = _decoded(rows)
    column = _column(attribute, rule, labels)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    one, batch = Converter(now), Converter(now)
    expected = {p: one.value(column, vb, p) for p, (_d, _r, vb) in decoded.by_position.items()}
    assert batch.values(column, decoded) == expected
    assert (batch.errors, batch.examples) == (one.errors, one.examples)
    only = set(list(decoded.by_position)[:3])
    assert Converter(now).values(column, decoded, only) == {p: expected[p] for p in only}


OCTETS = [
    b"", b"\x00\x00", b"plain", b"  padded \x00\x00", b"tab\there", b"N/A", b"none",
    b"Jos\xe9 P\xe9rez", "Se\u00f1ora".encode(), b"\x01\x02bin", b"HWTC\x1a\x2b\x3c\x4d",
    b"ZTEG\x00\x00\x00\x01", b"HW-C\x1a\x2b\x3c\x4d", b"HWTC1A2B3C4D", b"48575443AABBCCDD",
    b"\xff" * 8, b"x" * 300, b"1,ZTEGC0A1B2C3", b"\x7f\x7f",
    # DateAndTime: 8 octets, 11 (a zone), all zero, deci-seconds out of range, a bad month,
    # text dates, octets that are white space to str.strip (\t\n\x0b\x0c\r\x1c-\x1f)
    b"\x07\xe9\x06\x18\x11\x2d\x15\x03", b"\x07\xe9\x06\x18\x11\x2d\x3c\x00+\x02\x00",
    b"\x00" * 8, b"\x07\xe9\x06\x18\x11\x2d\x15\x0a", b"\x07\xe9\x0d\x18\x11\x2d\x15\x00",
    b"2025/06/24 17:45:21", b"0000-00-00 00:00:00", b"\x00\x0a\x0c\x0d\x09\x1c\x20\x00",
    b"\x00\x00\x00 \x00\x00\x00\x00", b"\x20\x20\x0a\x0a\x0a\x0a\x0a\x0a",
    b"N/A\x00\x00\x00\x00\x00",
    b"\x07\xe9\x06\x18\x11\x2d\x15\x00-\x05\x1e", b"\x07\xe9\x06\x18\x11\x2d\x15\x00*\x05\x1e",
    b"\x07\xe9\x06\x18\x11\x2d\x15\x00+\x0f\x00", b"\x07\xe9\x06\x18\x11\x2d\x15\x00+\x00\x00",
    b"\x07\xe9\x06\x18\x11\x2d\x15\x00+\x00\x3c", b"\x07\xe9\x02\x1e\x11\x2d\x15\x00+\x00\x00",
    # an uptime's date more than a day after the store's time (no "online since"), and one
    # within that day, with a zone and without
    b"\x07\xeb\x01\x01\x00\x00\x00\x00+\x00\x00", b"\x07\xea\x01\x02\x0a\x00\x00\x00+\x00\x00",
    b"\x07\xea\x01\x03\x0a\x00\x00\x00",
]  # fmt: skip


@pytest.mark.parametrize("parse", ["text", "serial", "mac", "hex", "date_and_time"])
@pytest.mark.parametrize(
    "attribute", ["description", "serial", "last_down_cause", "uptime", "distance", "mac"]
)
@pytest.mark.parametrize("mixed", [True, False])  # False: a column of OctetString rows only
def test_octet_rows_agree_with_value_row_by_row(attribute, parse, mixed):
    rule = ValueRule(parse=parse, sentinels=("N/A", "none", "HWTC1A2B3C4D"))
    rows = [VarBind(f"1.3.{n}", "OctetString", raw.decode("latin-1"), raw) for n, raw in
            enumerate(OCTETS)]  # fmt: skip
    if mixed:
        rows += [VarBind("1.3.90", "OctetString", "no octets"), VarBind("1.3.91", "Integer", 5)]
        rows.append(VarBind("1.3.92", "OctetString", "view", memoryview(b"HWTC\x00\x01\x02\x03")))
    decoded = Decoded()
    for n, vb in enumerate(rows):
        decoded.by_position[f"0/1/{n}:1"] = (None, str(n), vb)
    column = _column(attribute, rule)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    one, batch = Converter(now), Converter(now)
    expected = {p: one.value(column, vb, p) for p, (_d, _r, vb) in decoded.by_position.items()}
    assert batch.values(column, decoded) == expected
    assert (batch.errors, batch.examples) == (one.errors, one.examples)


def test_paused_gc_restores_the_collector_as_it_was():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause does not turn it back on
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError
    assert gc.isenabled()


def _placed(decoded: Decoded):
    return (decoded.by_position, decoded.undecoded, decoded.not_onus, decoded.rows)


def test_columns_with_the_first_columns_indexes_are_placed_as_row_by_row():
    """A column whose rows have the indexes of the first column placed with its formula, in
    its order, takes its positions from it; any other column is placed row by row, and
    both give what a column decoded alone gives."""
    formula = get_profile("huawei").formulas["onu"]
    raws = [encode_index(formula, 0, slot, port, onu) for slot in (1, 2) for port in (0, 15)
            for onu in (0, 1, 127)]  # fmt: skip

    def column(oid):
        return SimpleNamespace(oid=oid, formula=formula, attribute="distance", rule=RULES[1])

    def rows(oid, indexes):
        return [VarBind(f"{oid}.{raw}", "Integer", n) for n, raw in enumerate(indexes)]

    same, port = rows("1.3.2", raws), encode_index(formula, 0, 1, 1)
    cases = {
        "same": same,
        "reordered": list(reversed(same)),
        "fewer": same[1:],
        "an exception row": [*same[:-1], VarBind(same[-1].oid, "noSuchInstance", None)],
        "longer indexes": [VarBind(vb.oid + ".1", "Integer", 1) for vb in same],
        "a port row": [*same[:-1], VarBind(f"1.3.2.{port}", "Integer", 5)],
        "not an index": [*same[:-1], VarBind("1.3.2.x", "Integer", 5)],
        "another index of the same length": [  # (ONU 126 where the first column had 127)
            *same[:-1], VarBind(f"1.3.2.{encode_index(formula, 0, 2, 15, 126)}", "Integer", 5)
        ],
        "another PON's index of the same length": [  # (slot 1 where the first had slot 2)
            *same[:-1], VarBind(f"1.3.2.{encode_index(formula, 0, 1, 15, 127)}", "Integer", 5)
        ],
    }  # fmt: skip
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for name, walked in cases.items():
        cache = {}
        decode_rows(column("1.3.1"), rows("1.3.1", raws), None, cache)
        shared = decode_rows(column("1.3.2"), walked, None, cache)
        alone = decode_rows(column("1.3.2"), walked, None)
        first = cache[formula][None]  # (positions, entries, …) of the first column
        assert (shared._entries is first[1]) == (name == "same"), name
        assert Converter(now).values(column("1.3.2"), shared) == Converter(now).values(
            column("1.3.2"), alone
        ), name
        assert _placed(shared) == _placed(alone), name
    # a first column with two rows at one position is not shared (the first row wins there)
    cache = {}
    twice = [*raws, raws[0]]
    decode_rows(column("1.3.1"), rows("1.3.1", twice), None, cache)
    shared = decode_rows(column("1.3.2"), rows("1.3.2", twice), None, cache)
    assert shared.aligned is None
    assert _placed(shared) == _placed(decode_rows(column("1.3.2"), rows("1.3.2", twice), None))


def _row_by_row(monkeypatch, *args) -> tuple:
    """decode_rows with every row placed by itself (no column at once), and its cache."""
    from jobs.types import _rows

    cache: dict = {}
    with monkeypatch.context() as patched:
        patched.setattr(_rows, "_place_column", lambda *a: False)
        decoded = decode_rows(*args, cache)
    return decoded, cache


HOSTILE_INDEXES = [
    "", "x", "4194312448.x", "4194312448.", ".2", "4194312448.05", "4194312448.٣", "4194312448.²",
    " 4194312448.2", "4194312448.2 ", "04194312448.3", "4194312448.7.9", "4194303999.1",
    "4194312448", "12.1", "11.1", "10.3", "4194312448." + "9" * 120, "4194312448.0",
    "99999999999999999999.1",
]  # fmt: skip


@pytest.mark.parametrize(
    "profile, formula",
    [("huawei", "onu"), ("zte", "legacy"), ("zte", "zxan"), ("fiberhome", "onu"),
     ("cdata", "onu"), ("vsol", "onu"), ("generic", "ifname")],
)  # fmt: skip
def test_a_column_placed_at_once_is_placed_as_row_by_row(monkeypatch, profile, formula):
    """The whole-column placing (index_decoder's column) gives what placing each row gives:
    the same positions in the same order, the same rows, errors and rows not of ONUs, and
    the same decodings cached for the next columns; with any hostile index among the rows
    (another shape, leading zeros, non-ASCII digits, a port row, a duplicate, an exception,
    an index too long to store)."""
    import random

    from snmp.indexes import IndexFormula

    names = {10: "GPON0/2:5", 11: "GPON 0/1/3", 12: "GigaEthernet0/1", 4194312448: "GPON 0/1/1"}
    base = get_profile(profile).formulas[formula]
    formulas = [base, IndexFormula(**{**base.__dict__, "onu_offset": 1, "slot_offset": -1})]
    draw = random.Random(7)
    for f in formulas:
        if f.mode == "ifname":
            good = [f"{ifindex}.{onu}" for ifindex in (11, 4194312448) for onu in range(40)]
        else:
            frame = 1 if f.mode == "bitshift" else 0  # (raw ONU ids from 0, as Huawei's)
            good = [encode_index(f, frame, slot, port, onu + f.onu_offset)
                    for slot in (1, 2) for port in (1, 3) for onu in (0, 1, 9, 63)]  # fmt: skip
            good = list(dict.fromkeys(good))  # (V-SOL's index has no slot)
        column = SimpleNamespace(oid="1.3.6.9", formula=f, attribute="distance", rule=RULES[1])
        cases = [good, list(reversed(good)), good[:1]]
        for hostile in HOSTILE_INDEXES:
            at = draw.randrange(len(good))
            cases.append([*good[:at], hostile, *good[at:]])
        cases.append([*good, good[3]])  # one position twice: the first row wins
        for raws in cases:
            walked = [VarBind(f"1.3.6.9.{raw}", "Integer", n) for n, raw in enumerate(raws)]
            variants = [walked]
            variants.append([*walked[:-1], VarBind(walked[-1].oid, "noSuchInstance", None)])
            for rows in variants:
                expected, expected_cache = _row_by_row(monkeypatch, column, rows, names)
                cache: dict = {}
                got = decode_rows(column, rows, names, cache)
                assert _placed(got) == _placed(expected), (f, raws)
                assert list(got.by_position) == list(expected.by_position), (f, raws)
                assert got.columns() == expected.columns()
                mine = {k: v for k, v in cache[f].items() if k != 0}  # (0: the decoder)
                assert mine == {k: v for k, v in expected_cache[f].items() if k != 0}
        # the usual column ("<PON>.<ONU>") is placed at once (row by row leaves none aligned);
        # an ONU packed in the integer (FiberHome, C-Data) is decoded row by row
        plain = [VarBind(f"1.3.6.9.{raw}", "Integer", 1) for raw in good]
        assert (decode_rows(column, plain, names).aligned is not None) == f.onu_from_dot
        assert _row_by_row(monkeypatch, column, plain, names)[0].aligned is None
