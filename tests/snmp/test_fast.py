"""snmp.fast (v1/v2c over the compact codec) against snmpsim, pysnmp and scripted agent stubs."""

import asyncio
import socket
import time

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto.api import v2c

from snmp import codec, fast
from snmp import column as column_mod
from snmp import walk as walk_mod
from snmp.client import (
    Target,
    get_many,
    get_many_sync,
    get_sync,
    walk_column,
    walk_columns,
    walk_columns_sync,
)
from snmp.codec import VarBind
from snmp.column import Column
from snmp.errors import SnmpError, SnmpMalformed, SnmpNoSuchOid, SnmpTimeout, SnmpUnreachable
from snmp.lab import agent as lab
from snmp.lab.generate import get_shape, lab_onus, served_columns
from snmp.profiles import get_profile

HUAWEI = get_profile("huawei")
COLUMNS = [c.oid for c in served_columns(get_shape("huawei"))]


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """One simulator: a 200-ONU Huawei OLT ("public") and 20 small ones for concurrency."""
    olt = lab.LabAgent(tmp_path_factory.mktemp("fastlab"))
    olt.add_olt("public", "huawei", 200, seed=5)
    for n in range(20):
        olt.add_olt(f"olt{n}", "huawei", 8, seed=n)
    with olt:
        yield olt


@pytest.mark.parametrize("max_rep", [1, 10, 50])
def test_walk_columns_equals_pysnmp(agent, max_rep):
    fast_rows = walk_columns_sync(agent.target(max_repetitions=max_rep, backend="fast"), COLUMNS)
    reference = walk_columns_sync(agent.target(backend="pysnmp"), COLUMNS)
    assert list(fast_rows) == COLUMNS
    for column in COLUMNS:
        assert fast_rows[column] == reference[column], column
    assert len(fast_rows[HUAWEI.first("state").oid]) == 200
    serials = [vb.raw for vb in fast_rows[HUAWEI.first("serial").oid]]
    assert serials == [o.serial for o in lab_onus("huawei", 200, seed=5)]


def test_v1_walk_columns_equals_v2c(agent):
    v1_rows = walk_columns_sync(agent.target(version="1"), COLUMNS[:3])
    assert v1_rows == walk_columns_sync(agent.target(), COLUMNS[:3])


def test_walk_column_and_missing_columns(agent):
    missing = "1.3.6.1.4.1.2011.6.128.1.1.2.99.1.1"
    rows = walk_columns_sync(
        agent.target(), [missing, HUAWEI.first("state").oid, "1.3.6.1.4.1.99999"]
    )
    assert rows[missing] == [] and rows["1.3.6.1.4.1.99999"] == []
    assert rows[HUAWEI.first("state").oid] == walk_column(agent.target(), HUAWEI.first("state").oid)
    assert walk_columns_sync(agent.target(version="1"), ["1.3.6.1.4.1.99999"]) == {
        "1.3.6.1.4.1.99999": []
    }


def test_get_many_300_equals_pysnmp(agent):
    walked = walk_columns_sync(agent.target(), COLUMNS[:2])
    oids = [vb.oid for rows in walked.values() for vb in rows][:298]
    oids += ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.99.0"]
    got = get_many_sync(agent.target(backend="fast"), oids, batch=7)
    assert got == get_many_sync(agent.target(backend="pysnmp"), oids)
    assert len(got) == 300 and got[-1].type == "noSuchInstance"
    assert got[:298] == [vb for rows in walked.values() for vb in rows][:298]


def test_twenty_olts_at_once(agent):
    async def poll_all():
        targets = [agent.target(f"olt{n}") for n in range(20)]
        return await asyncio.gather(*(walk_columns(t, COLUMNS) for t in targets))

    results = asyncio.run(poll_all())
    for n, rows in enumerate(results):
        assert [len(rows[c]) for c in COLUMNS] == [8] * len(COLUMNS)
        serials = [vb.raw for vb in rows[HUAWEI.first("serial").oid]]
        assert serials == [o.serial for o in lab_onus("huawei", 8, seed=n)]


def test_wrong_community_times_out(agent):
    target = agent.target(community="s3cret-wrong", timeout=0.2, retries=1)
    with pytest.raises(SnmpTimeout) as info:
        walk_columns_sync(target, COLUMNS[:1])
    assert "s3cret" not in str(info.value)


def test_silent_socket_timeout_message():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        target = Target("127.0.0.1", port, community="topsecret", timeout=0.3, retries=2)
        start = time.monotonic()
        with pytest.raises(SnmpTimeout) as info:
            get_many_sync(target, ["1.3.6.1.2.1.1.5.0"])
        elapsed = time.monotonic() - start
        sent = [silent.recv(4096) for _ in range(3)]
    assert 0.85 <= elapsed < 1.5  # timeout * (retries + 1)
    assert sent[0] == sent[1] == sent[2]  # the same request (same request-id) each try
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "0.3 s" in message and "3 tries" in message
    assert "topsecret" not in message


def test_backend_validation():
    with pytest.raises(ValueError):
        Target("127.0.0.1", backend="ezsnmp")
    with pytest.raises(ValueError):
        Target("127.0.0.1", version="3", backend="fast")


# ---------------------------------------------------------------- scripted agents


class Stub(asyncio.DatagramProtocol):
    """A tiny agent: pyasn1 decodes each request, ``answer`` returns the datagrams to send."""

    def __init__(self, answer):
        self.answer, self.seen = answer, []

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        msg, _ = decoder.decode(data, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(msg)
        names = [tuple(n) for n, _ in v2c.apiPDU.get_varbinds(pdu)]
        request_id = int(v2c.apiPDU.get_request_id(pdu))
        self.seen.append((type(pdu).__name__, names))
        for reply in self.answer(request_id, names, pdu):
            self.transport.sendto(reply, addr)


def reply(request_id, pairs, status=0, index=0):
    """A v2c Response, encoded by pyasn1."""
    pdu = v2c.GetResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, status)
    v2c.apiPDU.set_error_index(pdu, index)
    v2c.apiPDU.set_varbinds(pdu, pairs)
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, "public")
    v2c.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def run_with_stub(answer, call, **target_kwargs):
    """Serve ``answer`` on a loopback port and run ``call(target)`` against it."""

    async def main():
        loop = asyncio.get_running_loop()
        transport, stub = await loop.create_datagram_endpoint(
            lambda: Stub(answer), local_addr=("127.0.0.1", 0)
        )
        port = transport.get_extra_info("sockname")[1]
        options = {"timeout": 0.3, "retries": 0} | target_kwargs
        try:
            return await asyncio.wait_for(call(Target("127.0.0.1", port, **options)), 10), stub
        finally:
            transport.close()

    return asyncio.run(main())


def test_too_big_splits_the_batch():
    def answer(request_id, names, pdu):
        if len(names) > 6:  # RFC 3416 §4.2.1: tooBig with empty variable-bindings
            return [reply(request_id, [], status=1)]
        return [reply(request_id, [(n, v2c.Integer(n[-1])) for n in names])]

    oids = [f"1.3.6.1.4.1.9.{i}" for i in range(40)]
    got, stub = run_with_stub(answer, lambda t: get_many(t, oids))
    assert [vb.value for vb in got] == list(range(40))
    assert max(len(names) for _, names in stub.seen) == 40  # first try: one batch of 40
    served = [len(n) for _, n in stub.seen if len(n) <= 6]
    assert sum(served) == 40


def test_too_big_for_one_varbind_is_an_error():
    with pytest.raises(SnmpError, match="tooBig"):
        run_with_stub(
            lambda rid, names, pdu: [reply(rid, [], status=1)],
            lambda t: get_many(t, ["1.3.6.1.2.1.1.5.0"]),
        )


def test_non_increasing_oid_is_malformed_not_a_loop():
    column = (1, 3, 6, 1, 4, 1, 9, 1)

    def answer(request_id, names, pdu):
        return [reply(request_id, [(column + (5,), v2c.Integer(1))] * 3)]

    with pytest.raises(SnmpMalformed, match="non-increasing"):
        run_with_stub(answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]))


def test_repeating_answers_across_rounds_are_malformed():
    column = (1, 3, 6, 1, 4, 1, 9, 1)

    def answer(request_id, names, pdu):  # always the same single row: would loop forever
        return [reply(request_id, [(column + (5,), v2c.Integer(1))])]

    with pytest.raises(SnmpMalformed):
        run_with_stub(answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]))


def test_an_agent_silent_in_the_middle_of_a_walk_is_a_timeout():
    column = (1, 3, 6, 1, 4, 1, 9, 1)
    answered = []

    def answer(request_id, names, pdu):  # one answer, then nothing (the next was sent ahead)
        if answered:
            return []
        answered.append(request_id)
        return [reply(request_id, [(column + (i,), v2c.Integer(i)) for i in range(1, 4)])]

    with pytest.raises(SnmpTimeout):  # not the KeyError of dropping it twice
        run_with_stub(answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]))


def test_wrong_request_id_is_ignored_and_truncated_bulk_continues():
    columns = [(1, 3, 6, 1, 4, 1, 9, c) for c in (1, 2, 3)]
    table = sorted((col + (row,), row * 10 + i) for i, col in enumerate(columns) for row in (1, 2))

    def next_after(name):
        later = [(oid, v) for oid, v in table if oid > name]
        return later[0] if later else (name, None)

    def answer(request_id, names, pdu):
        rows, current = [], list(names)
        for _ in range(3):
            for i, name in enumerate(current):
                oid, value = next_after(name)
                item = v2c.EndOfMibView("") if value is None else v2c.Integer(value)
                rows.append((oid, item))
                current[i] = oid
        # a stray answer first, then the real one cut mid-row (agents cap bulk replies)
        return [reply(request_id + 1, rows), reply(request_id, rows[:4])]

    got, stub = run_with_stub(
        answer, lambda t: walk_columns(t, [".".join(map(str, c)) for c in columns])
    )
    assert [[vb.value for vb in rows] for rows in got.values()] == [[10, 20], [11, 21], [12, 22]]
    assert all(kind == "GetBulkRequestPDU" for kind, _ in stub.seen)


def test_garbage_answer_is_malformed():
    with pytest.raises(SnmpMalformed):
        run_with_stub(
            lambda rid, names, pdu: [b"\x30\x03\x02\x01"], lambda t: get_many(t, ["1.3.6"])
        )


def test_no_such_name_in_get_names_the_oid():
    def answer(request_id, names, pdu):
        return [reply(request_id, [(n, v2c.Null("")) for n in names], status=2, index=2)]

    async def get_two(target):
        return await fast.get_many(target, ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.9.9"])

    with pytest.raises(SnmpNoSuchOid, match="1.3.6.1.2.1.1.9.9"):
        run_with_stub(answer, get_two)


def test_get_sync_still_works(agent):
    (vb,) = get_sync(agent.target(), ["1.3.6.1.2.1.1.5.0"])
    assert vb.type == "OctetString" and vb.value == vb.raw.decode()


def bulk_table(table):
    """An answer function serving GETBULK over ``table`` ((oid, value) pairs, sorted)."""

    def answer(request_id, names, pdu):
        reps = int(pdu[2])
        rows, current = [], list(names)
        for _ in range(reps):
            for i, name in enumerate(current):
                later = [(oid, v) for oid, v in table if oid > name]
                oid, value = later[0] if later else (name, v2c.EndOfMibView(""))
                rows.append((oid, value))
                current[i] = oid
        return [reply(request_id, rows)]

    return answer


def test_walk_indexes_of_every_shape_and_no_wasted_request():
    column = (1, 3, 6, 1, 4, 1, 9, 1)
    # one-octet and multi-octet last arcs, heads that change, an index of one arc
    indexes = [(0,), (5,), (127,), (128,), (4194312448, 0), (4194312448, 127)]
    indexes += [(4194312448, 300), (4194312449, 1), (4194312449, 2), (2**32 - 1, 5, 9)]
    table = [(column + i, v2c.Integer(n)) for n, i in enumerate(indexes)]
    table += [((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.OctetString(b"next column"))]
    got, stub = run_with_stub(
        bulk_table(table),
        lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]),
        max_repetitions=3,
        adapt_repetitions=False,
    )
    rows = got["1.3.6.1.4.1.9.1"]
    assert [vb.oid for vb in rows] == [".".join(map(str, column + i)) for i in indexes]
    assert [vb.value for vb in rows] == list(range(len(indexes)))
    assert len(stub.seen) == 4  # 3 + 3 + 3 + (1 and the end): requests sent ahead all used


@pytest.mark.parametrize(
    "indexes",
    [[(5, 3), (5, 2)], [(6, 1), (5, 9)], [(300,), (200,)], [(5, 1), (5,)], [(4, 1), (4, 1)]],
)
def test_non_increasing_index_shapes_are_malformed(indexes):
    column = (1, 3, 6, 1, 4, 1, 9, 1)

    def answer(request_id, names, pdu):
        return [reply(request_id, [(column + i, v2c.Integer(1)) for i in indexes])]

    with pytest.raises(SnmpMalformed, match="non-increasing"):
        run_with_stub(answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]))


def test_endless_column_stops_at_max_rows(monkeypatch):
    monkeypatch.setattr(column_mod, "MAX_ROWS", 20)
    column = (1, 3, 6, 1, 4, 1, 9, 1)

    def answer(request_id, names, pdu):  # ever-growing OIDs: always one arc longer
        name = tuple(names[0])
        return [reply(request_id, [(name + (1,) * k, v2c.Integer(k)) for k in range(1, 8)])]

    with pytest.raises(SnmpMalformed, match="more than 20 rows"):
        run_with_stub(answer, lambda t: walk_columns(t, [".".join(map(str, column))]))


def test_column_last_resets():
    column = Column("1.3.6.1.4.1.9.1")
    assert column.last == () and column_mod.MAX_ROWS == 1_000_000
    column.last = (7, 3)
    assert column.last == (7, 3)


# ---------------------------------------------------------------- GET fast path


def test_get_echoed_names_with_no_such_instance_in_the_middle():
    oids = [f"1.3.6.1.4.1.9.{c}.{i}" for c in (1, 2) for i in (1, 200, 3)]

    def answer(request_id, names, pdu):
        return [
            reply(
                request_id,
                [
                    (n, v2c.NoSuchInstance("") if n[-1] == 200 else v2c.Integer(n[-2]))
                    for n in names
                ],
            )
        ]

    got, stub = run_with_stub(answer, lambda t: get_many(t, oids, batch=4))
    assert [vb.oid for vb in got] == oids
    assert [vb.type for vb in got] == ["Integer", "noSuchInstance", "Integer"] * 2
    assert [vb.value for vb in got] == [1, None, 1, 2, None, 2]
    assert [len(names) for _, names in stub.seen] == [4, 2]


def test_get_answered_with_other_names_is_malformed():
    def answer(request_id, names, pdu):  # the names shifted by one
        return [reply(request_id, [(n[:-1] + (n[-1] + 1,), v2c.Integer(1)) for n in names])]

    with pytest.raises(
        SnmpMalformed, match=r"1\.3\.6\.1\.4\.1\.9\.2 for a GET of 1\.3\.6\.1\.4\.1\.9\.1"
    ):
        run_with_stub(answer, lambda t: get_many(t, ["1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9.2"]))


def test_get_answered_with_fewer_names_is_malformed():
    def answer(request_id, names, pdu):
        return [reply(request_id, [(n, v2c.Integer(1)) for n in names[:-1]])]

    with pytest.raises(SnmpMalformed, match="1 variable-bindings for 2 names"):
        run_with_stub(answer, lambda t: get_many(t, ["1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9.2"]))


def test_get_same_names_other_encoding_falls_back():
    def answer(request_id, names, pdu):  # OID lengths in long form: same names, other octets
        data = reply(request_id, [(n, v2c.Integer(n[-1])) for n in names])
        return [_long_form_oids(data)]

    oids = ["1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9.2"]
    got, _ = run_with_stub(answer, lambda t: get_many(t, oids))
    assert got == [VarBind(o, "Integer", int(o[-1])) for o in oids]


def _long_form_oids(data):
    """Re-encode a Response with each variable-binding's OID length in long form."""
    from snmp import codec
    from snmp._ber import tlv

    head, _ = codec.parse_head(data)
    varbinds = b"".join(
        tlv(0x30, b"\x06\x81" + bytes((len(o),)) + o + tlv(t, c))
        for o, t, c in codec.parse_response(data).varbinds
    )
    pdu = (
        tlv(0x02, head.request_id.to_bytes(4, "big", signed=True))
        + b"\x02\x01\x00\x02\x01\x00"
        + tlv(0x30, varbinds)
    )
    return tlv(0x30, b"\x02\x01\x01" + tlv(0x04, head.community) + tlv(0xA2, pdu))


def test_get_many_in_flight_and_too_big_keep_the_order():
    def answer(request_id, names, pdu):
        if len(names) > 3:
            return [reply(request_id, [], status=1)]
        return [reply(request_id, [(n, v2c.OctetString(f"v{n[-1]}")) for n in names])]

    oids = [f"1.3.6.1.4.1.9.9.{i}" for i in range(200, 223)]

    async def call(target):
        return await fast.get_many(target, oids, batch=5, in_flight=3)

    got, stub = run_with_stub(answer, call)
    assert [vb.oid for vb in got] == oids and [vb.value for vb in got] == [
        f"v{o.rsplit('.', 1)[1]}" for o in oids
    ]
    assert sum(len(n) for _, n in stub.seen if len(n) <= 3) == 23


def test_normalize_all_matches_normalize_oid():
    from snmp.client import _normalize_all, normalize_oid

    cases = [["1.3.6", "2.5"], [".1.3"], ["1.3."], ["1..3"], ["1.3\n1.4"], ["1.3", ""], [" 1.3"]]
    cases += [["1.3", "\n1.4"], ["1"], ["\u0661.\u0663"], [], ["1.3.", "1.4"], ["1.3", "1.4 "]]
    for oids in cases:
        try:
            expected = [normalize_oid(o) for o in oids]
        except ValueError:
            with pytest.raises(ValueError):
                _normalize_all(oids)
        else:
            assert _normalize_all(oids) == expected


def test_an_empty_bulk_answer_is_checked_with_getnext_and_the_walk_goes_on():
    """RFC 3416 leaves no room for an empty GETBULK answer: a glitch must not end the walk."""
    column = (1, 3, 6, 1, 4, 1, 9, 1)
    table = [(column + (i,), v2c.Integer(i * 10)) for i in range(1, 6)]
    table += [((1, 3, 6, 1, 4, 1, 9, 2, 1), v2c.Integer(0))]
    serve = bulk_table(table)
    glitches = []

    def answer(request_id, names, pdu):
        kind = type(pdu).__name__
        if kind == "GetBulkRequestPDU" and not glitches:
            glitches.append(names)
            return [reply(request_id, [])]
        if kind == "GetNextRequestPDU":
            later = [next((o, v) for o, v in table if o > n) for n in names]
            return [reply(request_id, later)]
        return serve(request_id, names, pdu)

    got, stub = run_with_stub(
        answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]), max_repetitions=2
    )
    assert [vb.value for vb in got["1.3.6.1.4.1.9.1"]] == [10, 20, 30, 40, 50]
    kinds = [kind for kind, _ in stub.seen]
    assert kinds[:2] == ["GetBulkRequestPDU", "GetNextRequestPDU"]


@pytest.mark.parametrize("getnext", ["empty", "error"])
def test_an_empty_bulk_answer_without_a_usable_getnext_fails_the_walk(getnext):
    def answer(request_id, names, pdu):
        if type(pdu).__name__ == "GetNextRequestPDU" and getnext == "error":
            return [reply(request_id, [(n, v2c.Null("")) for n in names], status=5, index=1)]
        return [reply(request_id, [])]

    with pytest.raises(SnmpMalformed, match="empty answer to a GETBULK"):
        run_with_stub(answer, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]))


# ---------------------------------------------------------------- lost sockets, MemoryError


def _pending_request_after(lose):
    """Send a GETNEXT to a silent agent (30 s timeout), ``lose(channel)``; (error, seconds)."""

    async def main():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))
            t = Target("127.0.0.1", silent.getsockname()[1], timeout=30, retries=0)
            async with fast.channel(t) as ch:
                request = ch.send(codec.GETNEXT, [codec.encode_oid("1.3.6.1.2.1.1")])
                started = time.monotonic()
                asyncio.get_running_loop().call_later(0.05, lose, ch)
                with pytest.raises(SnmpError) as info:
                    await asyncio.wait_for(ch.wait(request), 5)  # not the 30 s timeout
                waited = time.monotonic() - started
                with pytest.raises(SnmpUnreachable):  # and nothing more is sent into the void
                    ch.send(codec.GETNEXT, [codec.encode_oid("1.3.6.1.2.1.1")])
                return info.value, waited

    return asyncio.run(main())


def test_a_closed_socket_fails_the_waiting_requests_at_once():
    error, waited = _pending_request_after(lambda ch: ch.transport.abort())
    assert isinstance(error, SnmpUnreachable) and waited < 1
    assert str(error).startswith("lost the UDP socket to 127.0.0.1:")


def test_a_fatal_read_error_fails_the_waiting_requests_at_once():
    # what asyncio's datagram transport does when recvfrom raises MemoryError (issue 9's hang:
    # the transport closed, connection_lost cancelled the timer and nothing failed the wait)
    def fatal(ch):
        ch.transport._fatal_error(MemoryError(), "Fatal read error on datagram transport")

    error, waited = _pending_request_after(fatal)
    assert isinstance(error, SnmpUnreachable) and "(MemoryError)" in str(error) and waited < 1


def endless(request_id, names, pdu):
    """A column that never ends: ten more rows of ever-larger indexes after each name."""
    name = tuple(names[0])
    base = name[-1] + 1 if len(name) > 8 else 1
    rows = [((1, 3, 6, 1, 4, 1, 9, 1, base + k), v2c.OctetString(b"x" * 100)) for k in range(10)]
    return [reply(request_id, rows)]


def test_a_memory_error_decoding_an_answer_fails_the_walk_at_once(monkeypatch):
    calls = []

    def exhausted(data, pos, prefix):
        calls.append(1)
        if len(calls) > 3:
            raise MemoryError
        return real(data, pos, prefix)

    real = walk_mod.uniform
    monkeypatch.setattr(walk_mod, "uniform", exhausted)
    started = time.monotonic()
    with pytest.raises(SnmpError, match="ran out of memory walking 1.3.6.1.4.1.9.1 on 127.0.0.1"):
        run_with_stub(endless, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]), timeout=30)
    assert time.monotonic() - started < 2


def test_a_memory_error_keeping_rows_fails_the_walk_with_a_typed_error(monkeypatch):
    def exhausted(raw):
        raise MemoryError

    monkeypatch.setattr(column_mod, "render_octets", exhausted)
    with pytest.raises(SnmpError, match="ran out of memory walking 1.3.6.1.4.1.9.1 on 127.0.0.1"):
        run_with_stub(endless, lambda t: walk_columns(t, ["1.3.6.1.4.1.9.1"]), timeout=30)
