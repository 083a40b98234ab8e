"""Index decoding: verified vendor tables, round trips, bad input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmp.indexes import DecodedIndex, IndexFormula, decode_index, encode_index
from snmp.profiles import get_profile

HUAWEI = get_profile("huawei").formula
ZTE = get_profile("zte").formula
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
