"""Issue 11, point 8: walks on a blocking socket (snmp.sync), and answers decoded by layout.

The sync walk runs in a thread against the scripted agents of test_fast (asyncio, main
thread), and against snmpsim next to the asyncio walk; the C-level decoding of alike rows
(column.uniform) is compared with the row-by-row one on the same datagrams.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import struct
import time

import pytest
from pysnmp.proto.api import v2c

from snmp import codec, sync
from snmp.adapt import bulk_stats
from snmp.client import Target, walk_columns, walk_columns_sync
from snmp.column import Column, uniform, varbind_starts
from snmp.errors import SnmpMalformed, SnmpTimeout, SnmpUnreachable
from snmp.lab import agent as lab
from snmp.lab.generate import get_shape, served_columns
from tests.snmp.test_fast import bulk_table, reply, run_with_stub

COLUMN = (1, 3, 6, 1, 4, 1, 9, 1)
NAME = "1.3.6.1.4.1.9.1"
HUAWEI = [c.oid for c in served_columns(get_shape("huawei"))]


def sync_walk(answer, columns=(NAME,), **target):
    """walk_columns_sync in a thread against ``answer`` served on loopback; (rows, stub)."""
    return run_with_stub(
        answer, lambda t: asyncio.to_thread(walk_columns_sync, t, list(columns)), **target
    )


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """snmpsim with a 300-ONU Huawei OLT (PON ports of many ONUs: rows span heads)."""
    olt = lab.LabAgent(tmp_path_factory.mktemp("synclab"))
    olt.add_olt("public", "huawei", 300, seed=3)
    with olt:
        yield olt


@pytest.mark.parametrize("version", ["1", "2c"])
@pytest.mark.parametrize("max_rep", [7, 25])
def test_the_sync_walk_gives_what_the_async_walk_gives(agent, version, max_rep):
    target = agent.target(version=version, max_repetitions=max_rep, adapt_repetitions=False)
    for columns in (HUAWEI[:1], HUAWEI):
        rows = walk_columns_sync(target, columns)
        assert rows == asyncio.run(walk_columns(target, columns))
        assert [len(rows[c]) for c in columns] == [300] * len(columns)
    assert gc.isenabled()  # paused during the walk only


def test_a_stray_answer_is_ignored_and_a_truncated_answer_continues():
    table = [(COLUMN + (i,), v2c.Integer(i)) for i in range(1, 11)]
    table += [((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.Integer(0))]

    def answer(request_id, names, pdu):
        pairs = [(oid, value) for oid, value in table if oid > tuple(names[0])][:2]
        # another request's answer first (a late one), then the real one, cut short
        return [reply(request_id + 7, pairs), reply(request_id, pairs)]

    got, stub = sync_walk(answer, max_repetitions=5, adapt_repetitions=False)
    assert [vb.value for vb in got[NAME]] == list(range(1, 11))
    assert len(stub.seen) == 6  # two rows a round trip, the last one ends the column


def test_answers_from_another_address_are_not_taken():
    def answer(request_id, names, pdu):
        data = reply(request_id, [(COLUMN + (1,), v2c.Integer(1))])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.sendto(data, ("127.0.0.1", walker[0]))
        return []

    walker = []
    real_connect = socket.socket.connect

    def connect(sock, address):  # note the walk's own port for the stub
        real_connect(sock, address)
        walker.append(sock.getsockname()[1])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        with pytest.raises(SnmpTimeout):
            sync_walk(answer, timeout=0.3, retries=0)


def test_too_big_halves_and_every_row_comes_back():
    table = [(COLUMN + (i,), v2c.Integer(i)) for i in range(1, 101)]
    table += [((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.Integer(0))]
    serve = bulk_table(table)

    def answer(request_id, names, pdu):
        if int(pdu[2]) > 8:
            return [reply(request_id, [], status=1)]  # tooBig, RFC 3416 §4.2.3
        return serve(request_id, names, pdu)

    with bulk_stats() as stats:
        got, _stub = sync_walk(answer, max_repetitions=40, timeout=2)
    assert [vb.value for vb in got[NAME]] == list(range(1, 101))
    assert stats.too_big >= 3 and stats.most == 40 and stats.last <= 8


def test_non_increasing_rows_are_malformed():
    def answer(request_id, names, pdu):
        return [reply(request_id, [(COLUMN + (5,), v2c.Integer(1))] * 3)]

    with pytest.raises(SnmpMalformed, match="non-increasing"):
        sync_walk(answer)


def test_a_silent_agent_times_out_after_the_olts_tries():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        target = Target("127.0.0.1", silent.getsockname()[1], timeout=0.3, retries=2)
        started = time.monotonic()
        with pytest.raises(SnmpTimeout, match="3 tries"):
            walk_columns_sync(target, [NAME])
        elapsed = time.monotonic() - started
        silent.settimeout(1)
        sent = [silent.recv(4096) for _ in range(3)]
        silent.settimeout(0.05)
        with pytest.raises(TimeoutError):
            silent.recv(4096)  # no fourth try
    assert 0.85 <= elapsed < 1.6
    assert sent[0] == sent[1] == sent[2]  # one request-id: a late answer still counts
    assert gc.isenabled()


def test_the_check_runs_between_round_trips_and_stops_the_walk():
    calls = []

    def check():
        calls.append(time.monotonic())
        if len(calls) == 3:
            raise LookupError("lock lost")

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        target = Target("127.0.0.1", silent.getsockname()[1], timeout=30, retries=0)
        started = time.monotonic()
        with pytest.raises(LookupError, match="lock lost"):
            walk_columns_sync(target, [NAME], check)
    assert 0.5 <= time.monotonic() - started < 2  # three checks 0.2 s apart, not 30 s
    assert gc.isenabled()


def test_a_closed_port_is_unreachable_at_once():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        port = gone.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SnmpUnreachable, match=f"127.0.0.1:{port}"):
        walk_columns_sync(Target("127.0.0.1", port, timeout=5, retries=3), [NAME])
    assert time.monotonic() - started < 2  # ICMP port unreachable, not four timeouts


def test_a_default_socket_timeout_changes_nothing():
    """socket.setdefaulttimeout() (a library may call it) would make every read poll first
    and end at its own time; the sync walk's socket stays blocking, timed by the walk."""
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(0.05)
    try:
        test_a_silent_agent_times_out_after_the_olts_tries()
    finally:
        socket.setdefaulttimeout(before)


class _CountingSocket:
    """What SyncChannel._limit sets on its socket."""

    def __init__(self):
        self.set = []

    def setsockopt(self, level, option, value):
        assert (level, option) == (socket.SOL_SOCKET, socket.SO_RCVTIMEO)
        seconds, micro = struct.unpack("@ll", value)
        self.set.append(seconds + micro / 1e6)


@pytest.mark.skipif(not sync._RCVTIMEO, reason="SO_RCVTIMEO is used on Linux only")
def test_the_read_timeout_is_set_when_its_power_of_two_changes():
    """A read never waits past the nearest deadline, and the socket option (a system call)
    changes only when the wait halves or doubles (issue 11: five calls a round trip)."""
    ch = sync.SyncChannel(Target("127.0.0.1", 161), _CountingSocket())
    for wait in [5.0, 4.99, 4.2, 3.9, 0.2, 0.19, 0.11, 0.1, 1e-5, 4000.0]:
        ch._limit(wait)
        assert 0 < ch.limit <= wait and 0 < ch.sock.set[-1] <= wait
    assert ch.sock.set == [4.0, 2.0, 0.125, 0.0625, 7e-6, 2048.0]  # 2**-17 s: 7.6 us


# ---------------------------------------------------------------- decoding by layout


def both_ways(pairs):
    """Rows of one answer decoded by layout (None if not alike) and row by row."""
    data = reply(1, pairs)
    _head, pos = codec.parse_head(data)
    by_layout, by_row = Column(NAME), Column(NAME)
    runs = uniform(data, pos, by_layout.prefix)
    for run in runs or ():
        by_layout.keep(data, run)
    going = by_row.take(data, varbind_starts(data, pos))
    if runs is not None:
        assert going and by_layout.next_oid == by_row.next_oid
    return (by_layout.rows if runs is not None else None), by_row.rows


@pytest.mark.parametrize(
    "value",
    [v2c.Integer(-1), v2c.Integer(300), v2c.OctetString(b"HWTC1234"), v2c.Counter32(7)],
)
def test_rows_alike_decode_as_row_by_row_across_heads(value):
    pairs = [(COLUMN + (4194312448, i), value) for i in (1, 5, 127)]
    pairs += [(COLUMN + (4194312704, i), value) for i in (0, 2)]
    pairs += [(COLUMN + (4194312705, 9, i), value) for i in (3, 4)]  # a longer head
    by_layout, by_row = both_ways(pairs)
    assert by_layout == by_row and len(by_row) == 7


@pytest.mark.parametrize(
    "pairs",
    [
        [(COLUMN + (1,), v2c.Integer(1)), (COLUMN + (2,), v2c.Integer(300))],  # sizes differ
        [(COLUMN + (1,), v2c.Integer(1)), (COLUMN + (200,), v2c.Integer(1))],  # 2-octet arc
        [(COLUMN + (2,), v2c.Integer(1)), ((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.Integer(1))],
        [(COLUMN + (1,), v2c.Integer(1)), (COLUMN + (2,), v2c.EndOfMibView(""))],
    ],
)
def test_rows_not_alike_go_row_by_row(pairs):
    by_layout, by_row = both_ways(pairs)
    assert by_layout is None and by_row


def test_rows_alike_but_not_increasing_are_malformed():
    column = Column(NAME)
    data = reply(1, [(COLUMN + (3,), v2c.Integer(1)), (COLUMN + (4,), v2c.Integer(1))])
    _head, pos = codec.parse_head(data)
    column.keep(data, uniform(data, pos, column.prefix)[0])
    with pytest.raises(SnmpMalformed, match="non-increasing"):
        column.keep(data, uniform(data, pos, column.prefix)[0])  # the same rows again
    shuffled = reply(1, [(COLUMN + (6,), v2c.Integer(1)), (COLUMN + (5,), v2c.Integer(1))])
    assert uniform(shuffled, codec.parse_head(shuffled)[1], column.prefix) is None


def test_index_heads_kept_from_walk_to_walk_are_bounded(monkeypatch):
    """Heads of indexes are decoded once per worker, not once per walk; an agent sending
    ever-new or long heads cannot grow the cache past its bound."""
    from snmp import column

    monkeypatch.setattr(column, "_HEADS", {})
    monkeypatch.setattr(column, "_HEADS_MAX", 8)
    for n in range(20):
        head = codec.encode_oid(f"1.3.3.{n + 200}")[1:]  # 3, then n + 200 in two octets
        assert column._head_of(head) == ((3, n + 200), f"3.{n + 200}.")
        assert len(column._HEADS) <= 8
    long = codec.encode_oid("1.3." + ".".join(["7"] * 40))[1:]
    assert column._head_of(long)[1] == "7." * 40
    assert long not in column._HEADS
    walked = Column(NAME)
    first = reply(1, [(COLUMN + (5, 1), v2c.Integer(1)), (COLUMN + (5, 2), v2c.Integer(2))])
    response, pos = codec.parse_head(first)
    assert walked.take(first, varbind_starts(first, pos))
    assert [vb.oid for vb in walked.rows] == [f"{NAME}.5.1", f"{NAME}.5.2"]
    assert column._HEADS[bytes([5])] == ((5,), "5.")
