"""Every profile OID is in the lab recording, its rule gives the lab's truth, indexes decode."""

import time

import pytest

from snmp.client import VarBind, render_octets
from snmp.indexes import IFNAME_OID, decode_index
from snmp.lab.generate import MAX_ONUS, generate_rows, lab_onus
from snmp.profiles import OID_KINDS, PROFILES, get_profile
from snmp.values import apply_rule

KEYS = sorted(PROFILES)
ONUS, SEED = 400, 11


def _varbind(oid: str, tag: str, value: str) -> VarBind:
    if tag == "2":
        return VarBind(oid, "Integer", int(value))
    raw = bytes.fromhex(value) if tag == "4x" else value.encode()
    return VarBind(oid, "OctetString", render_octets(raw), raw)


def _text(raw: bytes):
    return render_octets(raw.rstrip(b"\x00")).strip() or None


def _expected(column, onu):
    """What the stored attribute must be, from the lab's truth about the ONU."""
    if column.kind in ("discovery", "run_state"):
        return onu.state
    if column.kind == "distance":
        return onu.distance if onu.distance >= 0 else None
    if column.kind in ("rx_power", "tx_power"):
        names = {"rx_power": onu.rx_dbm, "tx_power": onu.tx_dbm, "olt_rx_power": onu.olt_rx_dbm}
        return names[column.name]
    return {
        "serial": lambda: onu.serial[:4].decode() + onu.serial[4:].hex().upper(),
        "mac": lambda: ":".join(f"{b:02X}" for b in onu.mac),
        "name": lambda: onu.if_name or f"ONU-{onu.frame}/{onu.slot}/{onu.port}:{onu.onu_id}",
        "onu_model": lambda: onu.model,
        "description": lambda: onu.if_name if column.name == "if_descr" else _text(onu.description),
    }[column.kind]()


@pytest.fixture(scope="module", params=KEYS)
def recording(request):
    key = request.param
    rows = {oid: (tag, value) for oid, tag, value in generate_rows(key, ONUS, seed=SEED)}
    return get_profile(key), rows, lab_onus(key, ONUS, seed=SEED)


def test_every_oid_is_recorded_and_its_rule_gives_the_truth(recording):
    profile, rows, onus = recording
    for column in profile.oids:
        seen = 0
        for onu in onus:
            oid = f"{column.oid}.{onu.raw_index}{column.index_suffix}"
            want = _expected(column, onu)
            if oid not in rows:
                assert want is None, f"{profile.key} {column.name}: no row for {onu}"
                continue
            seen += 1
            got = apply_rule(column.rule, _varbind(oid, *rows[oid]))
            if isinstance(want, float):
                assert got == pytest.approx(want, abs=1e-9), (profile.key, column.name, rows[oid])
            else:
                assert got == want, (profile.key, column.name, rows[oid])
        assert seen > ONUS // 2, f"{profile.key} {column.name} has {seen} rows"


def test_every_generated_index_decodes_to_its_position(recording):
    profile, rows, onus = recording
    ifnames = {
        int(oid.rsplit(".", 1)[1]): v
        for oid, (t, v) in rows.items()
        if oid.startswith(IFNAME_OID + ".")
    }
    for onu in onus:
        for suffix in {c.index_suffix for c in profile.oids}:
            d = decode_index(profile.formula, onu.raw_index + suffix, ifnames or None)
            assert (d.frame, d.slot, d.port, d.onu_id) == (
                onu.frame,
                onu.slot,
                onu.port,
                onu.onu_id,
            )


def test_offline_onus_carry_every_sentinel_and_odd_strings(recording):
    profile, rows, onus = recording
    for column in profile.oids:
        if column.rule.parse != "int" or not column.rule.sentinels:
            continue
        served = {int(v) for oid, (t, v) in rows.items() if oid.startswith(column.oid + ".")}
        assert set(column.rule.sentinels) <= served, (profile.key, column.name)
    descr = [c for c in profile.oids if c.kind == "description" and c.name != "if_descr"]
    if descr:
        cells = [_varbind(o, *rows[o]).raw for o in rows if o.startswith(descr[0].oid + ".")]
        assert b"" in cells and any(b"\t" in c for c in cells)
        assert any(c.startswith(b"  ") for c in cells) and any(c.endswith(b"\x00") for c in cells)
        assert any(c.decode("utf-8", "replace") != c.decode("latin-1") for c in cells)
    if profile.key.startswith("zte"):  # the wrap above 30000 is exercised
        rx = profile.oid_of("rx_power").oid
        assert any(
            oid.startswith(rx + ".") and 30000 < int(v) < 65535 for oid, (t, v) in rows.items()
        )


@pytest.mark.parametrize("key", KEYS)
def test_absent_onus_vanish_from_every_column(key):
    full = lab_onus(key, 200, seed=2)
    part = lab_onus(key, 200, seed=2, absent=25)
    assert len(part) == 175 and set(o.raw_index for o in part) < set(o.raw_index for o in full)
    assert [o for o in full if o in part] == part  # same ONUs, same values
    gone = {o.raw_index for o in full} - {o.raw_index for o in part}
    rows = generate_rows(key, 200, seed=2, absent=25)
    profile = get_profile(key)
    for oid, _, _ in rows:
        column = profile.column_of(oid)
        if column is not None:
            index = oid[len(column.oid) + 1 :]
            index = index[: len(index) - len(column.index_suffix)] if column.index_suffix else index
            assert index not in gone


def test_bad_counts():
    with pytest.raises(ValueError):
        lab_onus("huawei", MAX_ONUS + 1)
    with pytest.raises(ValueError):
        lab_onus("huawei", 3, absent=4)


def test_sixteen_thousand_onus_generate_fast():
    start = time.perf_counter()
    rows = generate_rows("zte", MAX_ONUS, seed=3)
    assert time.perf_counter() - start < 2.0
    assert (
        len({oid for oid, _, _ in rows if oid.startswith(get_profile("zte").discovery.oid)})
        == MAX_ONUS
    )


def test_profile_data_is_well_formed():
    brands = {p.brand for p in PROFILES.values()}
    assert {"Huawei", "ZTE", "FiberHome", "V-SOL", "C-Data", "Generic"} <= brands
    for key, profile in PROFILES.items():
        assert key == profile.key and profile.models and profile.max_repetitions >= 1
        assert profile.discovery.kind == "discovery"
        assert profile.online_states and profile.online_states <= set(profile.state_labels)
        oids = [o.oid for o in profile.oids]
        assert len(set(oids)) == len(oids)
        for item in profile.oids:
            assert item.kind in OID_KINDS and item.mib_name and item.rule is not None
            assert all(p.isdigit() for p in item.oid.split(".")), item.oid
            assert not any(o != item.oid and o.startswith(item.oid + ".") for o in oids)
        assert profile.sys_object_id and profile.sys_descr
    assert get_profile("huawei").walk_per_pon and not get_profile("zte").walk_per_pon
    assert get_profile("generic").ifname_oid == IFNAME_OID and get_profile("zte").ifname_oid is None
    assert get_profile("fiberhome").state_labels == {
        0: "fiber cut",
        1: "online",
        2: "power cut",
        3: "offline",
    }
    assert get_profile("vsol_gpon").state_labels[6] == "offLine"
