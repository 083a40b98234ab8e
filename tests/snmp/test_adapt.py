"""Issue 11, point 8: max-repetitions adapted to how the agent answers.

The rule on its own (pure), then walks through agents on loopback that answer tooBig, slowly,
or (net-snmp's snmpd) truncate their GETBULK answers: every row still comes back.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto.api import v2c

from snmp.adapt import BulkStats, Repetitions, bulk_stats, current
from snmp.client import Target, walk_columns, walk_columns_sync
from snmp.lab.generate import expected_onus, generate_rows, get_shape, served_columns, write_snmprec
from tests.snmp import test_fast as helpers
from tests.snmp.test_fast import Stub, bulk_table, reply, run_with_stub

COLUMN = (1, 3, 6, 1, 4, 1, 9, 1)
TABLE = [(COLUMN + (i,), v2c.Integer(i)) for i in range(1, 201)]
TABLE += [((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.Integer(0))]


def fast_answers(reps: Repetitions, times: int) -> list[int]:
    """The values asked over ``times`` fast, whole answers of one column."""
    seen = []
    for _ in range(times):
        seen.append(reps.value)
        reps.answered(0.001, 1, reps.value, 1, reps.value)
    return seen


def test_grows_while_fast_and_whole_up_to_the_ceiling():
    assert fast_answers(Repetitions(25, 2.0), 6) == [25, 37, 55, 82, 100, 100]
    assert fast_answers(Repetitions(1, 2.0), 3) == [1, 2, 3]  # +1 at least
    assert fast_answers(Repetitions(300, 2.0), 2) == [300, 300]  # configured above 100: ceiling


def test_a_fast_answer_that_ends_a_column_or_a_fixed_setting_does_not_grow():
    reps = Repetitions(25, 2.0)
    reps.answered(0.001, 1, 25, 1, -1)  # -1: a column ended in it
    assert reps.value == 25
    fixed = Repetitions(25, 2.0, adaptive=False, start=80)
    fixed.answered(0.001, 1, 25, 1, 25)
    fixed.answered(1.9, 2, 25, 1, 10)
    assert fixed.value == 25  # counted, never changed
    assert (fixed.stats.slow, fixed.stats.truncated) == (1, 1)


def test_slow_answers_and_resends_halve_down_to_the_floor():
    reps = Repetitions(100, 2.0)
    seen = []
    for _ in range(6):
        seen.append(reps.value)
        reps.answered(0.6, 1, reps.value, 1, reps.value)  # 0.6 s > a quarter of 2 s
    assert seen == [100, 50, 25, 12, 6, 5]
    assert reps.value == 5 and reps.stats.slow == 6
    resent = Repetitions(40, 2.0)
    resent.answered(0.01, 2, 40, 1, 40)  # answered quickly, but only to the second send
    assert resent.value == 20
    assert Repetitions(3, 2.0).floor == 3  # configured below 5: that is the floor


def test_too_big_halves_to_one_and_caps_growth_below_the_refused_size():
    reps = Repetitions(40, 2.0)
    assert reps.too_big(40) and reps.value == 20 and reps.cap == 30
    assert fast_answers(reps, 3) == [20, 30, 30]
    while reps.value > 1:
        assert reps.too_big(reps.value)
    assert not reps.too_big(1)  # nothing smaller to ask: the caller reports the error
    assert reps.stats.too_big >= 5


def test_truncated_answers_set_the_cap_to_what_the_agent_gives():
    reps = Repetitions(50, 2.0)
    reps.answered(0.001, 1, 50, 2, 60)  # 2 columns x 50 asked, 60 came: 30 per column
    assert reps.value == reps.cap == 30 and reps.stats.truncated == 1
    assert fast_answers(reps, 2) == [30, 30]  # fast, but never above what the agent gives


def test_stats_as_a_summary_and_the_context_that_carries_them():
    stats = BulkStats(configured=25)
    assert stats.as_dict() == {}
    for value in (25, 37, 55, 12):
        stats.used(value)
    stats.too_big = 1
    assert stats.as_dict() == {
        "configured": 25,
        "used": "12-55",
        "last": 12,
        "requests": 4,
        "too_big": 1,
    }
    assert current() is None
    with bulk_stats() as outer:
        assert current() is outer
    assert current() is None


def walk_rows(answer, **target):
    """Walk COLUMN against a stub agent with ``answer``; (rows, stats, stub)."""

    async def call(t):
        with bulk_stats() as stats:
            got = await walk_columns(t, ["1.3.6.1.4.1.9.1"])
        return got["1.3.6.1.4.1.9.1"], stats

    (rows, stats), stub = run_with_stub(answer, call, **target)
    return rows, stats, stub


def test_an_agent_answering_too_big_above_8_repetitions_still_gives_every_row(monkeypatch):
    serve = bulk_table(TABLE)

    def answer(request_id, names, pdu):
        if int(pdu[2]) > 8:
            return [reply(request_id, [], status=1)]  # tooBig, RFC 3416 §4.2.3
        return serve(request_id, names, pdu)

    monkeypatch.setattr(helpers, "Stub", lambda answer: SlowStub(answer, 1000, 0))
    rows, stats, stub = walk_rows(answer, max_repetitions=50, timeout=2)
    assert [vb.value for vb in rows] == list(range(1, 201))
    # 50, 25 and 12 refused, 6 served, then growth up to 3/4 of the smallest refused size
    assert stub.repetitions[:4] == [50, 25, 12, 6]
    assert max(stub.repetitions[4:]) <= 9 and stats.too_big <= 5
    assert stats.most == 50 and stats.last <= 8


class SlowStub(Stub):
    """A stub whose answers to more than ``fast_up_to`` repetitions come after ``delay``."""

    def __init__(self, answer, fast_up_to, delay):
        super().__init__(answer)
        self.fast_up_to, self.delay, self.repetitions = fast_up_to, delay, []

    def datagram_received(self, data, addr):
        msg, _ = decoder.decode(data, asn1Spec=v2c.Message())
        reps = int(v2c.apiMessage.get_pdu(msg)[2])
        self.repetitions.append(reps)
        later = self.delay if reps > self.fast_up_to else 0
        asyncio.get_running_loop().call_later(later, super().datagram_received, data, addr)


def test_slow_answers_shrink_the_walk_and_every_row_comes_back(monkeypatch):
    monkeypatch.setattr(helpers, "Stub", lambda answer: SlowStub(answer, 10, 0.2))
    rows, stats, stub = walk_rows(bulk_table(TABLE), max_repetitions=40, timeout=0.6)
    assert [vb.value for vb in rows] == list(range(1, 201))
    assert stats.slow >= 1 and stats.least <= 10 and stub.repetitions[0] == 40
    assert stub.repetitions[1] == 20  # one slow answer (0.2 s > 0.6 s / 4) halves


sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
netsnmp_agent = pytest.importorskip("netsnmp_agent")
MISSING = netsnmp_agent.missing_packages(build=True, run=True)
needs_snmpd = pytest.mark.skipif(bool(MISSING), reason=f"needs Debian packages {MISSING}")
ONUS = 300


@pytest.fixture(scope="module")
def capped_snmpd(tmp_path_factory):
    """net-snmp's snmpd answering at most 30 varbinds per GETBULK (maxGetbulkResponses)."""
    netsnmp_agent.build_module()
    rec = write_snmprec(
        tmp_path_factory.mktemp("capped") / "olt.snmprec", generate_rows("huawei", ONUS, seed=9)
    )
    with netsnmp_agent.NetSnmpAgent(rec, community="olt", max_bulk_responses=30) as agent:
        yield agent


@needs_snmpd
def test_a_real_agent_that_truncates_answers_shrinks_the_walk_and_gives_every_row(capped_snmpd):
    columns = [c.oid for c in served_columns(get_shape("huawei"))[:2]]
    target = Target("127.0.0.1", capped_snmpd.port, community="olt", max_repetitions=50)
    with bulk_stats() as stats:
        rows = walk_columns_sync(target, columns)
        again = walk_columns_sync(target, columns)  # starts where the first walk ended
    assert rows == again
    expected = [s for _i, s in expected_onus("huawei", ONUS, seed=9)]
    assert [vb.value for vb in rows[columns[0]]] == expected
    assert len(rows[columns[1]]) == ONUS
    assert stats.truncated >= 1 and stats.most == 50 and stats.last == 15  # 30 / 2 columns
    assert stats.least == 15 and stats.walks == 2
    assert stats.as_dict()["used"] == "15-50"
    # 2 x 300 rows at 15 a round: 20 rounds and the one truncated, per walk
    assert stats.requests <= 2 * (ONUS // 15 + 2)
