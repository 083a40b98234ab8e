"""Issue 9, point 2, at the SNMP layer: a walk's byte budget (fast and pysnmp paths, GETs too)
against the hostile agent."""

from __future__ import annotations

import pytest

from snmp import fast
from snmp._ber import encode_oid, tlv
from snmp.client import Target, get_many_sync, walk_columns_sync
from snmp.errors import SnmpError, SnmpTooMuchData
from snmp.lab.generate import generate_rows
from snmp.lab.hostile import DATAGRAM, HostileAgent
from webapp.config import DEFAULTS

COLUMNS = ["1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.2.2.1.2"]  # ifName, ifDescr
BUDGET = 1_000_000


@pytest.fixture(scope="module")
def hostile():
    with HostileAgent() as agent:
        yield agent


# the agent answers from a thread of this process: a loaded machine makes it slow, not mute
def target(agent, **kw) -> Target:
    return Target(
        "127.0.0.1", agent.port, **{"timeout": 3, "retries": 1, "max_walk_bytes": BUDGET} | kw
    )


@pytest.mark.parametrize("backend", ["fast", "pysnmp"])
@pytest.mark.parametrize("version", ["1", "2c"])
def test_a_looping_agent_stops_the_walk_at_the_budget(hostile, backend, version):
    sent = hostile.sent
    with pytest.raises(SnmpTooMuchData) as info:
        walk_columns_sync(target(hostile, backend=backend, version=version), COLUMNS)
    assert str(info.value) == (
        f"127.0.0.1:{hostile.port} sent more than 977 KB while walking 1.3.6.1.2.1.31.1.1.1.1 "
        "and 1 more column: a looping or broken agent?"
    )
    assert info.value.kind == "too_much_data" and isinstance(info.value, SnmpError)
    # it stopped at the budget: a few datagrams more at most (sent ahead, pysnmp's in flight)
    assert hostile.sent - sent < BUDGET + 4 * DATAGRAM


@pytest.mark.parametrize("backend", ["fast", "pysnmp"])
def test_gets_answered_with_huge_values_stop_at_the_budget(hostile, backend):
    oids = [f"1.3.6.1.4.1.9.9.{i}" for i in range(1000)]  # 2.5 MB of answers
    with pytest.raises(SnmpTooMuchData, match="sent more than 977 KB answering GETs of 1000 OIDs"):
        get_many_sync(target(hostile, backend=backend), oids, batch=20)
    assert len(get_many_sync(target(hostile, max_walk_bytes=3_000_000), oids, batch=20)) == 1000


def test_the_budget_is_a_target_setting_with_the_configured_default():
    assert Target("127.0.0.1").max_walk_bytes == fast.MAX_WALK_BYTES == 32 * 2**20
    assert DEFAULTS["SNMP_MAX_WALK_BYTES"] == fast.MAX_WALK_BYTES
    assert "max_walk_bytes" in repr(Target("127.0.0.1"))  # not a secret
    with pytest.raises(ValueError, match="max_walk_bytes"):
        Target("127.0.0.1", max_walk_bytes=0)


def _varbind_octets(oid: str, tag: str, text: str) -> int:
    """Octets of the variable-binding an agent sends for one snmprec row."""
    if tag == "4":
        value = len(text.encode())
    elif tag == "4x":
        value = len(text) // 2
    elif tag == "6":
        value = len(encode_oid(text))
    else:  # INTEGER, Counter32, Gauge32, TimeTicks…
        value = (int(text).bit_length() + 8) // 8
    return len(tlv(0x30, tlv(0x06, encode_oid(oid)) + tlv(0x04, bytes(value))))


@pytest.mark.parametrize("shape", ["zte_c600", "vsol_gpon"])  # the largest of the lab's shapes
def test_the_default_holds_every_row_of_a_16384_onu_olt_four_times(shape):
    """How the default was chosen: all rows of the OLT at once (no walk takes as many)."""
    octets = sum(_varbind_octets(*row) for row in generate_rows(shape, 16384, seed=5))
    assert 6_000_000 < octets and 4 * octets < fast.MAX_WALK_BYTES
