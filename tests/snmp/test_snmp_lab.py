"""Lab data generation, profiles and the agent's lifecycle."""

import os

import pytest

from snmp.indexes import decode_index
from snmp.lab.agent import LabAgent, find_free_udp_port, responder_executable
from snmp.lab.generate import expected_onus, generate_rows, lab_onus, oid_key
from snmp.profiles import OID_KINDS, PROFILES, get_profile


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_generate_rows_deterministic_and_sorted(key):
    rows = generate_rows(key, 300, seed=5)
    assert rows == generate_rows(key, 300, seed=5)
    assert rows != generate_rows(key, 300, seed=6)
    keys = [oid_key(oid) for oid, _, _ in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    profile = get_profile(key)
    assert len(rows) <= 6 + 300 * (len(profile.oids) + 1)
    assert sum(oid.startswith(profile.discovery.oid + ".") for oid, _, _ in rows) == 300
    assert all(tag in {"2", "4", "4x", "6", "67"} for _, tag, _ in rows)
    assert all("|" not in value and "\n" not in value for _, _, value in rows)


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_lab_onus_are_realistic(key):
    profile = get_profile(key)
    onus = lab_onus(key, 2000, seed=1)
    assert len({o.raw_index for o in onus}) == 2000
    ifnames = {int(o.raw_index): o.if_name for o in onus if o.if_name}
    for onu in onus:
        decoded = decode_index(profile.formula, onu.raw_index, ifnames or None)
        assert (decoded.frame, decoded.slot, decoded.port, decoded.onu_id) == (
            onu.frame,
            onu.slot,
            onu.port,
            onu.onu_id,
        )
        assert onu.state in profile.state_labels
        assert 0 <= onu.slot and 0 <= onu.port and 0 <= onu.onu_id <= 128
    states = [o.state for o in onus]
    assert 0.6 < sum(s in profile.online_states for s in states) / len(states) < 0.95
    assert expected_onus(key, 2000, seed=1) == [(o.raw_index, o.state) for o in onus]


def test_generate_zero_onus_and_bad_profile():
    assert len(generate_rows("zte", 0)) == 6
    with pytest.raises(KeyError):
        generate_rows("nokia", 1)


def test_profiles():
    assert sorted(PROFILES) == sorted(
        ["huawei", "zte", "zte_v21", "zte_c600", "fiberhome", "vsol_epon", "vsol_gpon"]
        + ["cdata_gpon", "cdata_epon", "generic"]
    )
    assert get_profile(" Huawei ").models == ["MA5600T", "MA5680T", "MA5800"]
    assert get_profile("zte").models == ["C300", "C320"]
    for profile in PROFILES.values():
        assert profile.discovery.kind == "discovery"
        assert all(
            o.kind in OID_KINDS and o.mib_name and not o.oid.startswith(".") for o in profile.oids
        )
    assert get_profile("huawei").discovery.oid == "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15"
    assert get_profile("huawei").state_labels == {1: "online", 2: "offline", -1: "invalid"}
    assert get_profile("zte").discovery.oid == "1.3.6.1.4.1.3902.1012.3.28.2.1.4"
    assert get_profile("zte").state_labels[4] == "working"


def test_agent_lifecycle_leaves_no_process(tmp_path):
    assert responder_executable().exists()
    agent = LabAgent(tmp_path, port=find_free_udp_port())
    with pytest.raises(RuntimeError):
        agent.start()
    agent.add_olt("olt-a", "zte", 3)
    with pytest.raises(ValueError):
        agent.add_olt("../evil", "zte", 3)
    with agent:
        pid = agent._proc.pid
        assert agent.running and (tmp_path / "olt-a.snmprec").exists()
        with pytest.raises(RuntimeError):
            agent.add_olt("olt-b", "zte", 3)
    assert not agent.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    agent.stop()  # idempotent


def test_every_profile_is_served_and_walked(tmp_path):
    """snmpsim accepts every brand's recording (empty hex strings, wrapped values, ifNames)."""
    from snmp.client import index_of, walk_column

    agent = LabAgent(tmp_path, port=find_free_udp_port())
    for key in sorted(PROFILES):
        agent.add_olt(key.replace("_", "-"), key, 20, seed=4)
    with agent:
        for key in sorted(PROFILES):
            target = agent.target(key.replace("_", "-"), timeout=2, retries=1)
            for column in PROFILES[key].oids:
                rows = walk_column(target, column.oid)
                assert rows, (key, column.name)
            column = PROFILES[key].discovery.oid
            got = [(index_of(column, r.oid), r.value) for r in walk_column(target, column)]
            assert got == expected_onus(key, 20, seed=4)
