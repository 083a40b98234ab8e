"""Value rules: literal varbinds for every parser, sentinel and the ZTE wrap; fuzzing."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmp.client import VarBind
from snmp.profiles import get_profile
from snmp.values import PARSERS, ValueRule, ValueRuleError, apply_rule

PROPS = settings(database=None, max_examples=300, deadline=None)
HUAWEI_RX = get_profile("huawei").first("rx_power").rule
ZTE_RX = get_profile("zte").first("rx_power").rule
ZTE_OLT_RX = get_profile("zte").column_of("1.3.6.1.4.1.3902.1015.1010.11.2.1.2").rule
C600_OLT_RX = get_profile("zte_c600").column_of("1.3.6.1.4.1.3902.1082.500.1.2.4.2.1.2").rule
VSOL_EPON_RX = get_profile("vsol").column_of("1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1.7").rule
VSOL_GPON_RX = get_profile("vsol").column_of("1.3.6.1.4.1.37950.1.1.6.1.1.3.1.7").rule
CDATA_RX = get_profile("cdata").first("rx_power").rule


def i(value, type_="Integer"):
    return VarBind("1.3.6.1.4.1.1.1", type_, value)


def o(raw: bytes):
    from snmp.client import render_octets

    return VarBind("1.3.6.1.4.1.1.1", "OctetString", render_octets(raw), raw)


@pytest.mark.parametrize(
    ("rule", "vb", "expected"),
    [
        (HUAWEI_RX, i(-2143), -21.43),
        (HUAWEI_RX, i(215), 2.15),
        (HUAWEI_RX, i(2147483647), None),
        (HUAWEI_RX, i(-2147483648), None),
        (ZTE_RX, i(4500), -21.0),  # 4500*0.002-30
        (ZTE_RX, i(30000), 30.0),  # the wrap starts above 30000
        (ZTE_RX, i(30001), round((30001 - 65535) * 0.002 - 30, 3)),
        (ZTE_RX, i(65534), -30.002),  # (65534-65535)*0.002-30
        (ZTE_RX, i(64785), -31.5),
        (ZTE_RX, i(65535), None),
        (ZTE_OLT_RX, i(-21345), -21.345),
        (ZTE_OLT_RX, i(-80000), None),
        (C600_OLT_RX, i(65535000), None),
        (C600_OLT_RX, i(65535), None),
        (C600_OLT_RX, i(-80000), None),
        (CDATA_RX, i(-1932), -19.32),
        (CDATA_RX, i(-4000), None),
        (VSOL_EPON_RX, o(b"0.03 mW (-14.61 dBm)"), -14.61),
        (VSOL_EPON_RX, o(b"2.38 mW (3.77 dBm)"), 3.77),
        (VSOL_EPON_RX, o(b"-10.47"), -10.47),
        (VSOL_EPON_RX, o(b""), None),
        (VSOL_EPON_RX, o(b"0.00 mW (-inf dBm)"), None),
        (VSOL_GPON_RX, o(b"-10.47"), -10.47),
        (VSOL_GPON_RX, o(b" -12.34\x00"), -12.34),
        (ValueRule(valid_min=0), i(-1), None),
        (ValueRule(valid_min=0), i(1235, "Gauge32"), 1235),
        (ValueRule(), o(b" 42 "), 42),
        (ValueRule(sentinels=(0,)), i(0), None),
        (ValueRule(scale=0.1, round_to=1), i(-215), -21.5),
        (ValueRule(parse="decimal_text", sentinels=("N/A",)), o(b"N/A"), None),
    ],
)
def test_numeric_rules(rule, vb, expected):
    assert apply_rule(rule, vb) == expected


@pytest.mark.parametrize(
    ("parse", "vb", "expected"),
    [
        ("serial", o(b"HWTC\x1a\x2b\x3c\x4d"), "HWTC1A2B3C4D"),
        ("serial", o(b"ZTEG\xc0\xa1\xb2\xc3"), "ZTEGC0A1B2C3"),
        ("serial", o(b"ZTEG\x80\x13\xc9\x00"), "ZTEG8013C900"),  # a NUL is part of the serial
        ("serial", o(b"1,ZTEGC0A1B2C3"), "ZTEGC0A1B2C3"),
        ("serial", o(b"4857544312345678"), "HWTC12345678"),
        ("serial", o(b"fhtt1a2b3c4d"), "fhtt1A2B3C4D"),
        ("serial", o(b"VSOL-1a2b3c4d"), "VSOL1A2B3C4D"),
        ("serial", o(b"odd serial"), "odd serial"),
        ("serial", o(b""), None),
        ("mac", o(b"\x00\x1a\x2b\x3c\x4d\x5e"), "00:1A:2B:3C:4D:5E"),
        ("mac", o(b"\x00\x1a\x2b\x3c\x4d\x00"), "00:1A:2B:3C:4D:00"),
        ("mac", o(b"001a.2b3c.4d5e"), "00:1A:2B:3C:4D:5E"),
        ("mac", o(b"00-1a-2b-3c-4d-5e"), "00:1A:2B:3C:4D:5E"),
        ("mac", o(b"not a mac"), "not a mac"),
        ("text", o("Señora Núñez".encode()), "Señora Núñez"),
        ("text", o("José Pérez".encode("latin-1")), "José Pérez"),  # Latin-1 is text
        ("text", o("Ñandú €5".encode("cp1252")), "Ñandú €5"),
        ("text", o(b"\x01\x02\xff"), "0102FF"),  # binary stays hex
        ("serial", o("José".encode("latin-1")), "4A6F73E9"),
        ("text", o(b"  padded  "), "padded"),
        ("text", o(b"tab\there|pipe"), "tab\there|pipe"),
        ("text", o(b"F660\x00\x00"), "F660"),
        ("text", o(b""), None),
        ("text", i(752), "752"),
        ("hex", o(b"\x00\xff"), "00FF"),
        ("hex", o(b""), None),
    ],
)
def test_text_rules(parse, vb, expected):
    assert apply_rule(ValueRule(parse=parse), vb) == expected


@pytest.mark.parametrize("type_", ["noSuchObject", "noSuchInstance", "endOfMibView", "Null"])
def test_empty_types_give_none(type_):
    for parse in ("int", "text", "serial", "dbm_text"):
        assert apply_rule(ValueRule(parse=parse), VarBind("1.3", type_, None)) is None


@pytest.mark.parametrize(
    ("rule", "vb", "match"),
    [
        (ValueRule(), o(b"abc"), "expected an integer"),
        (ValueRule(), i("12"), "expected an integer"),
        (ValueRule(), i(True), "expected an integer"),
        (HUAWEI_RX, i(10**400), "out of range"),
        (ValueRule(), VarBind("1.3", "IpAddress", "10.0.0.1"), "expected an integer"),
        (VSOL_GPON_RX, o(b"n/a dBm?"), "not a decimal value"),
        (VSOL_GPON_RX, i(5), "expected an OctetString"),
        (ValueRule(parse="serial"), i(5), "expected an OctetString"),
        (ValueRule(parse="hex"), VarBind("1.3", "OctetString", None, None), "without octets"),
    ],
)
def test_garbage_raises_value_rule_error(rule, vb, match):
    with pytest.raises(ValueRuleError, match=match):
        apply_rule(rule, vb)


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="parser"):
        ValueRule(parse="float")
    with pytest.raises(ValueError, match="wrap_modulus"):
        ValueRule(wrap_above=30000)


VARBINDS = st.builds(
    VarBind,
    st.just("1.3.6.1.4.1.9.9"),
    st.sampled_from(["Integer", "Gauge32", "OctetString", "Opaque", "IpAddress", "Null", "x"]),
    st.one_of(st.none(), st.integers(), st.text(), st.floats(), st.booleans()),
    st.one_of(st.none(), st.binary(max_size=24)),
)
RULES = st.builds(
    ValueRule,
    parse=st.sampled_from(PARSERS),
    scale=st.sampled_from([1, 0.01, 0.002, 0.001]),
    offset=st.sampled_from([0, -30, -100]),
    sentinels=st.sampled_from([(), (65535,), (2147483647, -2147483648), ("N/A",)]),
    round_to=st.sampled_from([None, 2, 3]),
    valid_min=st.sampled_from([None, 0]),
)


@PROPS
@given(RULES, VARBINDS)
def test_rules_raise_nothing_but_value_rule_error(rule, vb):
    try:
        value = apply_rule(rule, vb)
    except ValueRuleError:
        return
    assert value is None or isinstance(value, int | float | str)
    assert not (isinstance(value, float) and math.isnan(value))


@PROPS
@given(
    st.sampled_from(["huawei", "zte", "zte_c600", "vsol", "cdata", "bdcom", "ufiber", "generic"]),
    VARBINDS,
)
def test_profile_rules_raise_nothing_but_value_rule_error(key, vb):
    for column in get_profile(key).columns:
        try:
            apply_rule(column.rule, vb)
        except ValueRuleError:
            pass


@PROPS
@given(st.integers(1, 65534))  # 0 and 65535 mean "no value" (0/0xFFFF = None in ZTE docs)
def test_zte_wrap_is_continuous_below_minus_30(raw):
    value = apply_rule(ZTE_RX, i(raw))
    expected = (raw - 65535 if raw > 30000 else raw) * 0.002 - 30
    assert value == pytest.approx(expected, abs=1e-9)
