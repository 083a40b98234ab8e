"""The profiles are well-formed data, and the lab serves each shape consistently with them.

The lab encodes with our own formulas and rules, so these tests only prove that the lab and
the profiles agree (for scale tests and demos); the vendors' encodings are tested against
hand-written recordings in tests/test_recordings.py.
"""

import pytest

from snmp.client import VarBind, render_octets
from snmp.indexes import IFDESCR_OID, IFNAME_OID, NotAnOnu, decode_index
from snmp.lab.generate import (
    MAX_ONUS,
    SHAPES,
    generate_rows,
    get_shape,
    lab_onus,
    served_columns,
    state_column,
)
from snmp.profiles import ATTRIBUTES, PROFILES, get_profile, profile_for
from snmp.profiles.base import Column
from snmp.values import apply_rule

SHAPE_KEYS = sorted(k for k in SHAPES if k != "zte_legacy")
ONUS, SEED = 400, 11


def _varbind(oid: str, tag: str, value: str) -> VarBind:
    if tag in ("2", "65", "67"):
        return VarBind(oid, {"2": "Integer", "65": "Counter32", "67": "TimeTicks"}[tag], int(value))
    raw = bytes.fromhex(value) if tag == "4x" else value.encode()
    return VarBind(oid, "OctetString", render_octets(raw), raw)


def _names(rows: dict) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for base in (IFNAME_OID, IFDESCR_OID):
        for oid, (tag, value) in rows.items():
            if oid.startswith(base + "."):
                raw = bytes.fromhex(value) if tag == "4x" else value.encode()
                out.setdefault(int(oid.rsplit(".", 1)[1]), []).append(raw.decode())
    return {k: tuple(v) for k, v in out.items()}


@pytest.fixture(scope="module", params=SHAPE_KEYS)
def recording(request):
    key = request.param
    rows = {oid: (tag, value) for oid, tag, value in generate_rows(key, ONUS, seed=SEED)}
    return key, rows, lab_onus(key, ONUS, seed=SEED)


def test_every_served_cell_decodes_to_its_onu_with_the_columns_formula(recording):
    key, rows, onus = recording
    profile = get_profile(get_shape(key).profile)
    names = _names(rows)
    positions = {o.position for o in onus}
    for column in served_columns(get_shape(key)):
        cells = [oid for oid in rows if oid.startswith(column.oid + ".")]
        assert cells, (key, column.mib_name)
        for oid in cells:
            try:
                decoded = decode_index(
                    profile.formula_of(column), oid[len(column.oid) + 1 :], names
                )
            except NotAnOnu:  # an uplink or another interface
                continue
            if decoded.is_onu:
                assert decoded.name in positions, (key, column.mib_name, oid)


def test_numbers_round_trip_through_the_rules(recording):
    key, rows, onus = recording
    profile = get_profile(get_shape(key).profile)
    for column in served_columns(get_shape(key)):
        if column.attribute not in ("rx_power", "tx_power", "olt_rx_power", "distance"):
            continue
        truth = {"rx_power": "rx_dbm", "tx_power": "tx_dbm", "olt_rx_power": "olt_rx_dbm"}
        for onu in onus:
            from snmp.lab.generate import _index

            oid = f"{column.oid}.{_index(profile.formula_of(column), onu)}{column.index_suffix}"
            want = getattr(onu, truth.get(column.attribute, "distance"))
            if oid not in rows:
                assert want is None, (key, column.mib_name)
                continue
            got = apply_rule(column.rule, _varbind(oid, *rows[oid]))
            if isinstance(want, float):
                step = abs(column.rule.scale) / 2 + 1e-6  # 0.1 dB columns keep 0.1 dB
                assert got == pytest.approx(want, abs=step), (key, column.mib_name, rows[oid])
            else:
                assert (round(got) if isinstance(got, float) else got) == want, (key, oid)


def test_offline_onus_carry_sentinels_and_odd_strings(recording):
    key, rows, _onus = recording
    for column in served_columns(get_shape(key)):
        numeric = [s for s in column.rule.sentinels if isinstance(s, int)]
        if column.rule.parse == "int" and numeric and column.attribute.endswith("power"):
            served = {int(v) for oid, (t, v) in rows.items() if oid.startswith(column.oid + ".")}
            assert served & set(numeric), (key, column.mib_name)
    descr = [c for c in served_columns(get_shape(key)) if c.mib_name not in ("ifDescr", "ifAlias")]
    descr = [c for c in descr if c.attribute == "description"]
    if descr:
        cells = [_varbind(o, *rows[o]).raw for o in rows if o.startswith(descr[0].oid + ".")]
        assert b"" in cells and any(b"\t" in c for c in cells)
        assert any(c.startswith(b"  ") for c in cells) and any(c.endswith(b"\x00") for c in cells)
        assert "José Pérez".encode("latin-1") in cells


@pytest.mark.parametrize("key", SHAPE_KEYS)
def test_absent_onus_vanish_from_every_column(key):
    full = lab_onus(key, 200, seed=2)
    part = lab_onus(key, 200, seed=2, absent=25)
    assert len(part) == 175 and {o.position for o in part} < {o.position for o in full}
    assert [o for o in full if o in part] == part  # same ONUs, same values
    gone = {o.raw_index for o in full} - {o.raw_index for o in part}
    column = state_column(key)
    served = {oid[len(column.oid) + 1 :] for oid, _t, _v in generate_rows(key, 200, 2, 25)}
    assert not (gone & served)


def test_bad_counts_and_shapes():
    with pytest.raises(ValueError):
        lab_onus("huawei", MAX_ONUS + 1)
    with pytest.raises(ValueError):
        lab_onus("huawei", 3, absent=4)
    with pytest.raises(KeyError, match="unknown lab shape"):
        generate_rows("nokia", 1)


def test_sixteen_thousand_onus_generate():
    # how fast is for a benchmark to say, not a timed test (it failed under load)
    rows = generate_rows("zte", MAX_ONUS, seed=3)
    assert sum(1 for oid, _, _ in rows if oid.startswith(state_column("zte").oid + ".")) == MAX_ONUS


def test_profile_data_is_well_formed():
    brands = {p.brand for p in PROFILES.values()}
    assert {"Huawei", "ZTE", "FiberHome", "V-SOL", "C-Data", "BDCOM", "Ubiquiti"} <= brands
    for key, profile in PROFILES.items():
        assert key == profile.key and profile.models and profile.max_repetitions >= 1
        states = profile.candidates("state")
        assert states and states[0].every_onu, key
        for column in profile.columns:
            assert column.attribute in ATTRIBUTES and column.mib_name and column.source, column
            assert column.rule is not None and column.formula in profile.formulas
            if column.attribute == "state":
                assert column.labels and column.online <= set(column.labels), column
        oids = [c.oid for c in profile.columns]
        assert not any(a != b and b.startswith(a + ".") for a in oids for b in oids), key
    assert get_profile("huawei").walk_per_pon and not get_profile("zte").walk_per_pon
    assert profile_for("zte_v21") is get_profile("zte") is profile_for(" ZTE ")
    assert profile_for("vsol_gpon") is profile_for("vsol_epon") is get_profile("vsol")
    assert profile_for(None) is None and profile_for("nokia") is None


def test_columns_refuse_bad_data():
    with pytest.raises(ValueError, match="unknown ONU attribute"):
        Column("colour", "1.3.6.1.4.1.1", "x", "y")
    with pytest.raises(ValueError, match="not a numeric OID"):
        Column("serial", ".1.3.6", "x", "y")
