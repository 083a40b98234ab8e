"""Lab data generation and the agent's lifecycle."""

import os

import pytest

from snmp.lab.agent import LabAgent, find_free_udp_port, responder_executable
from snmp.lab.generate import SHAPES, expected_onus, generate_rows, lab_onus, oid_key, state_column

SHAPE_KEYS = sorted(k for k in SHAPES if k != "zte_legacy")


@pytest.mark.parametrize("key", SHAPE_KEYS)
def test_generate_rows_deterministic_and_sorted(key):
    rows = generate_rows(key, 300, seed=5)
    assert rows == generate_rows(key, 300, seed=5)
    assert rows != generate_rows(key, 300, seed=6)
    keys = [oid_key(oid) for oid, _, _ in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    indexes = {o.raw_index for o in lab_onus(key, 300, seed=5)}
    prefix = state_column(key).oid + "."
    onu_rows = [
        oid for oid, _, _ in rows if oid.startswith(prefix) and oid[len(prefix) :] in indexes
    ]
    assert len(onu_rows) == 300
    assert all(tag in {"2", "4", "4x", "6", "65", "67"} for _, tag, _ in rows)
    assert all("|" not in value and "\n" not in value for _, _, value in rows)


@pytest.mark.parametrize("key", SHAPE_KEYS)
def test_lab_onus_are_realistic(key):
    onus = lab_onus(key, 2000, seed=1)
    assert len({o.position for o in onus}) == 2000 == len({o.raw_index for o in onus})
    assert all(0 <= o.slot and 0 <= o.port and 0 <= o.onu_id <= 128 for o in onus)
    assert 0.6 < sum(o.online for o in onus) / len(onus) < 0.95
    column = state_column(key)
    assert expected_onus(key, 2000, seed=1) == [(o.raw_index, o.state_in(column)) for o in onus]
    assert all((o.state_in(column) in column.online) == o.online for o in onus)


def test_generate_zero_onus():
    assert len(generate_rows("zte", 0)) == 6


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


def test_every_shape_is_served_and_walked(tmp_path):
    """snmpsim accepts every shape's recording (empty hex strings, wrapped values, ifNames)."""
    from snmp.client import index_of, walk_column
    from snmp.lab.generate import get_shape, served_columns

    agent = LabAgent(tmp_path, port=find_free_udp_port())
    for key in SHAPE_KEYS:
        agent.add_olt(key.replace("_", "-"), key, 20, seed=4)
    with agent:
        for key in SHAPE_KEYS:
            target = agent.target(key.replace("_", "-"), timeout=2, retries=1)
            for column in served_columns(get_shape(key)):
                assert walk_column(target, column.oid), (key, column.mib_name)
            column = state_column(key).oid
            want = expected_onus(key, 20, seed=4)
            onus = {raw for raw, _ in want}
            got = [(index_of(column, r.oid), r.value) for r in walk_column(target, column)]
            assert [g for g in got if g[0] in onus] == want  # IF-MIB: uplinks too
