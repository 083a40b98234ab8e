"""Index decoding: verified vendor tables, round trips, bad input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmp.indexes import (
    DecodedIndex,
    IndexFormula,
    NotAnOnu,
    decode_index,
    encode_index,
    index_decoder,
    parse_onu_name,
    parse_port_name,
)
from snmp.profiles import get_profile

HUAWEI = get_profile("huawei").formulas["onu"]
ZTE = get_profile("zte").formulas["legacy"]
PROPS = settings(database=None, max_examples=300, deadline=None)

HUAWEI_TABLE = [  # original-system.md 4.4, with the ONU id kept
    ("4194312448.2", "0/1/1:2"),
    ("4194316032.10", "0/1/15:10"),
    ("4194338304.1", "0/4/6:1"),
    ("4194338304.2", "0/4/6:2"),
    ("4194338304.3", "0/4/6:3"),
    ("4194312192.2", "0/1/0:2"),
    ("4194312448", "0/1/1"),
    ("4194304000.0", "0/0/0:0"),
]
ZTE_SLOT_PORT = [  # original-system.md 4.4 verified ZTE table (ifx -> slot/port)
    (268566784, 2, 1),
    (268567040, 2, 2),
    (268567296, 2, 3),
    (268632320, 3, 1),
    (268697856, 4, 1),
    (268763392, 5, 1),
    (268828928, 6, 1),
    (268894464, 7, 1),
    (268960000, 8, 1),
    (269025536, 9, 1),
    (269222144, 12, 1),
    (268570624, 2, 16),
    (268636160, 3, 16),
    (269225984, 12, 16),
]


@pytest.mark.parametrize(("raw", "name"), HUAWEI_TABLE)
def test_huawei_verified_table(raw, name):
    assert decode_index(HUAWEI, raw).name == name


@pytest.mark.parametrize(("ifx", "slot", "port"), ZTE_SLOT_PORT)
def test_zte_verified_table(ifx, slot, port):
    assert decode_index(ZTE, f"{ifx}.7") == DecodedIndex(frame=1, slot=slot, port=port, onu_id=7)


def test_zte_examples_from_brief():
    assert decode_index(ZTE, "268566784.5").name == "1/2/1:5"
    assert decode_index(ZTE, "269225984.1").name == "1/12/16:1"
    assert decode_index(ZTE, "268501248").name == "1/1/1"


def test_onu_id_is_first_sub_id_after_the_dot():
    # ZTE legacy optical columns add a trailing ".1": <ifx>.<onu>.1
    assert decode_index(ZTE, "268501248.12.1").onu_id == 12


def test_linear_remainder_gives_onu_without_dot():
    formula = IndexFormula(base=1000, step_slot=1000, step_port=100, onu_from_dot=False)
    assert decode_index(formula, "2317").name == "0/1/3:17"
    assert decode_index(formula, "2300.9").name == "0/1/3"  # dot ignored, remainder 0


def test_onu_offset_and_frame_offset():
    formula = IndexFormula(base=0, step_slot=100, step_port=10, frame_offset=1, onu_offset=1)
    assert decode_index(formula, "120.0").name == "1/1/2:1"


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "4194312448.x", "-5", "4194312448.", ".2", "1e5", "１２", "100.1"]
)
def test_bad_input_raises_value_error(raw):
    with pytest.raises(ValueError):
        decode_index(HUAWEI, raw)


def test_below_base_message_is_clear():
    with pytest.raises(ValueError, match="below the formula base 4194304000"):
        decode_index(HUAWEI, "4194303999.1")


def test_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        decode_index(IndexFormula(mode="magic"), "1")


@PROPS
@given(st.integers(0, 255), st.integers(0, 31), st.integers(0, 127))
def test_huawei_round_trip(slot, port, onu):
    raw = encode_index(HUAWEI, 0, slot, port, onu)
    assert decode_index(HUAWEI, raw) == DecodedIndex(0, slot, port, onu)


@PROPS
@given(st.integers(1, 16), st.integers(0, 255), st.integers(0, 255), st.integers(1, 128))
def test_zte_round_trip(frame, slot, port, onu):
    raw = encode_index(ZTE, frame, slot, port, onu)
    assert int(raw.split(".")[0]) >> 28 == 1  # type nibble kept
    assert decode_index(ZTE, raw) == DecodedIndex(frame, slot, port, onu)


@PROPS
@given(st.integers(0, 63), st.integers(0, 31), st.integers(1, 255))
def test_linear_round_trip_without_dot(slot, port, onu):
    formula = IndexFormula(base=0x10000000, step_slot=65536, step_port=256, onu_from_dot=False)
    raw = encode_index(formula, 0, slot, port, onu)
    assert "." not in raw
    assert decode_index(formula, raw) == DecodedIndex(0, slot, port, onu)


@PROPS
@given(st.integers(1, 16), st.integers(0, 255), st.integers(0, 255))
def test_port_level_round_trip(frame, slot, port):
    assert decode_index(ZTE, encode_index(ZTE, frame, slot, port)).onu_id is None


# --- new encodings (peers-and-oids.md section 3) ---------------------------------------------
ZTE_V21 = get_profile("zte").formulas["zxan"]
FIBERHOME = get_profile("fiberhome").formulas["onu"]
CDATA = get_profile("cdata").formulas["onu"]
VSOL = get_profile("vsol").formulas["onu"]


@pytest.mark.parametrize(
    ("formula", "raw", "name"),
    [
        (ZTE_V21, "285278465.3", "1/1/1:3"),  # 0x11010101, snmp-olt-zte "verified against TEST-ONU"
        (ZTE_V21, "285278721.5", "1/2/1:5"),
        (ZTE_V21, "285278977.1.1", "1/3/1:1"),  # optical columns add ".1"
        (get_profile("zte_c600").formulas["zxan"], "285278480", "1/1/16"),  # C620 fixture gpon port
        (FIBERHOME, "34078720", "0/1/1"),  # slot 1 PON 1 (zabbix FiberHome PON template)
        (FIBERHOME, "37748736", "0/1/8"),  # slot 1 PON 8
        (FIBERHOME, str(2**25 + 2**19 + 5 * 2**8), "0/1/1:5"),
        (FIBERHOME, str(12 * 2**25 + 16 * 2**19 + 128 * 2**8 + 1), "0/12/16:128"),  # UNI port 1
        (CDATA, str(0x01000203), "1/0/2:3"),  # device 1 | card 0 | pon 2 | onu 3 (MIB TC)
        (CDATA, str(0x01000200), "1/0/2"),
        (VSOL, "3.17", "0/0/3:17"),  # <pon>.<onu>
    ],
)
def test_new_verified_examples(formula, raw, name):
    assert decode_index(formula, raw).name == name


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("GPON 0/1/3", (0, 1, 3, None)),
        ("gpon_1/2/1", (1, 2, 1, None)),
        ("gpon-olt_1/2/1", (1, 2, 1, None)),
        ("gpon-onu_1/2/1:7", (1, 2, 1, 7)),
        ("EPON0/1", (0, 0, 1, None)),
        ("EPON0/1:12", (0, 0, 1, 12)),
        ("GPON0/2:5", (0, 0, 2, 5)),
        ("PON 1/1/1", (1, 1, 1, None)),
        ("xgs-pon 0/3/2", (0, 3, 2, None)),
        (" GPON 0/0/15 ", (0, 0, 15, None)),
    ],
)
def test_parse_port_names(name, parsed):
    assert parse_onu_name(name) == parsed
    assert parse_port_name(name) == parsed[:3]


@pytest.mark.parametrize(
    "name", ["", "GigaEthernet0/1", "gpon", "GPON 0/1/2/3", "GPON0/1:x", "vlan1", "lo", "eth0.4093"]
)
def test_parse_port_name_rejects_other_interfaces(name):
    with pytest.raises(NotAnOnu):
        parse_port_name(name)


def test_vsol_gpon_onu_interface_names():
    # V-SOL V1600GS names its ONU interfaces GPON<pon>ONU<onu> (LibreNMS vsolution_v1600gs capture)
    assert parse_onu_name("GPON01ONU1") == (0, 0, 1, 1)
    assert parse_onu_name("GPON16ONU128") == (0, 0, 16, 128)


def test_ifname_mode_decodes_through_the_map():
    generic = get_profile("generic").formulas["ifname"]
    names = {10: "GPON0/2:5", 11: "GPON 0/1/3", 12: "GigaEthernet0/1"}
    assert decode_index(generic, "10", names).name == "0/0/2:5"
    assert decode_index(generic, "11", names).name == "0/1/3"
    with pytest.raises(NotAnOnu, match="not a PON port"):
        decode_index(generic, "12", names)
    with pytest.raises(ValueError, match="has no ifName"):
        decode_index(generic, "13", names)
    with pytest.raises(ValueError, match="needs the IF-MIB ifName map"):
        decode_index(generic, "10")
    with pytest.raises(ValueError, match="cannot encode"):
        encode_index(generic, 0, 0, 2, 5)
    # Huawei by ifName (the NOC way) agrees with the arithmetic
    by_name = IndexFormula(mode="ifname", onu_from_dot=True)
    assert decode_index(by_name, "4194312448.2", {4194312448: "GPON 0/1/1"}).name == "0/1/1:2"


def test_offsets_fix_vendor_numbering():
    fixed = IndexFormula(**{**CDATA.__dict__, "slot_offset": -1, "port_offset": -6})
    assert decode_index(fixed, str(0x01010803)).name == "1/0/2:3"
    assert encode_index(fixed, 1, 0, 2, 3) == str(0x01010803)


@PROPS
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(1, 128))
def test_zte_v21_round_trip(shelf, slot, port, onu):
    raw = encode_index(ZTE_V21, shelf, slot, port, onu)
    assert int(raw.split(".")[0]) >> 24 == 0x11
    assert decode_index(ZTE_V21, raw) == DecodedIndex(shelf, slot, port, onu)


@PROPS
@given(st.integers(1, 63), st.integers(0, 63), st.one_of(st.none(), st.integers(1, 2047)))
def test_fiberhome_round_trip(slot, pon, onu):
    raw = encode_index(FIBERHOME, 0, slot, pon, onu)
    assert "." not in raw and int(raw) < 2**31
    assert decode_index(FIBERHOME, raw) == DecodedIndex(0, slot, pon, onu)


@PROPS
@given(st.integers(0, 255), st.integers(0, 63), st.integers(0, 255), st.integers(1, 255))
def test_cdata_round_trip(device, card, pon, onu):
    raw = encode_index(CDATA, device, card, pon, onu)
    assert decode_index(CDATA, raw) == DecodedIndex(device, card, pon, onu)


def test_cdata_card_byte_keeps_the_main_slot():
    # NSCRTV-FTTX-GPON-MIB GponCardIndex: sub-slot 2 bits, main slot 6 bits (0x42 = slot 2)
    assert decode_index(CDATA, str(0x01420105)).name == "1/2/1:5"


@PROPS
@given(st.integers(1, 10**6), st.integers(1, 128))
def test_vsol_round_trip(pon, onu):
    assert decode_index(VSOL, encode_index(VSOL, 0, 0, pon, onu)) == DecodedIndex(0, 0, pon, onu)


@PROPS
@given(
    st.sampled_from(["GPON", "EPON", "gpon-onu_", "PON "]),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(st.none(), st.integers(0, 999)),
)
def test_port_name_round_trip(prefix, frame, slot, port, onu):
    name = f"{prefix}{frame}/{slot}/{port}" + ("" if onu is None else f":{onu}")
    assert parse_onu_name(name) == (frame, slot, port, onu)


def _outcome(decode, raw):
    try:
        return decode(raw)
    except NotAnOnu as exc:
        return ("NotAnOnu", str(exc))
    except ValueError as exc:
        return ("ValueError", str(exc))


IFNAME_MAP = {10: "GPON0/2:5", 11: "GPON 0/1/3", 12: "GigaEthernet0/1", 4194312448: "GPON 0/1/1"}


@pytest.mark.parametrize(
    "formula",
    [
        HUAWEI, ZTE, FIBERHOME, CDATA, VSOL,
        get_profile("generic").formulas["ifname"],
        IndexFormula(mode="ifname", onu_from_dot=True, onu_offset=1, slot_offset=2),
        IndexFormula(**{**CDATA.__dict__, "slot_offset": -1, "port_offset": -6}),
        IndexFormula(mode="linear", base=100, step_slot=10, step_port=2, onu_from_dot=False),
        IndexFormula(mode="string"),
    ],
)  # fmt: skip
def test_index_decoder_agrees_with_decode_index(formula):
    """index_decoder (an integer part decoded once per PON) gives what decode_index gives,
    the same errors included, whatever came before (a cached integer part)."""
    raws = [raw for raw, _name in HUAWEI_TABLE] + ["4194312448.7", "4194312448.7.9"]
    raws += ["", "   ", "abc", "4194312448.x", "-5", "4194312448.", ".2", "1e5", "１２", "100.1"]
    raws += ["4194303999.1", " 4194312448.2", "4194312448.2 ", "4194312448.٣", "04194312448.3"]
    raws += [str(0x01010803), f"{0x01010803}.4", "10", "10.3", "11", "11.1", "12", "12.1", "13"]
    raws += ["268566784.7", "268566784", "120", "121", "121.5", "99", "12.85.66.78.84"]
    raws += [str(0x01010803 + n) for n in range(0, 1024, 37)]
    decode = index_decoder(formula, IFNAME_MAP)
    for raw in raws * 2:  # the second time, from what the first cached
        assert _outcome(decode, raw) == _outcome(
            lambda r: decode_index(formula, r, IFNAME_MAP), raw
        ), raw
