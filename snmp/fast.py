"""SNMPv1/v2c over a plain asyncio UDP socket with snmp.codec: batched GETs, multi-column walks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from snmp import codec
from snmp._pysnmp import status_error
from snmp.codec import END_TAGS, VarBind, decode_value
from snmp.errors import SnmpError, SnmpMalformed, SnmpTimeout, SnmpTooMuchData, SnmpUnreachable

if TYPE_CHECKING:
    from snmp.client import Target

log = logging.getLogger(__name__)

GET_BATCH = 50  # varbinds per GET request
IN_FLIGHT = 4  # GET requests outstanding per target
_TOO_BIG, _NO_SUCH_NAME = 1, 2  # errorStatus values, RFC 3416 §3 / RFC 1157 §4.1.1
_VERSIONS = {"1": 0, "2c": 1}  # msgVersion, RFC 1157 §4 / RFC 1901 §3


# Octets of answers one walk (or one get_many) may receive: the rows it keeps are what the
# agent sent, so this bounds its memory where MAX_ROWS does not (an agent looping with 2.5 KB
# strings took a worker past 1.1 GB in 10 s, issue 9; rows keep their octets and their text,
# hex for binary ones: up to 3x the budget). Chosen from measurement: the largest walk of the
# poll, discovery and get jobs of bench/worker_big.py's 16,384-ONU OLT receives 0.6 MB (10.4 MB
# for all 468 walks); ALL the rows of the largest 16,384-ONU lab shape (zte_c600, every column
# plus IF-MIB names) make 7.5 MB of variable-bindings (tests/snmp/test_hostile.py checks it).
# 32 MiB is 50x the first and 4x the second, and keeps a worker held by a looping agent under
# 300 MB (tests/test_hostile_agent.py: 197 MB peak RSS; 64 MiB took it to 298 MB).
# Target.max_walk_bytes (config SNMP_MAX_WALK_BYTES) overrides it.
MAX_WALK_BYTES = 32 * 2**20
_DATAGRAM_MAX = 65535


def _size(n: int) -> str:
    """A byte count as a NOC engineer reads it (64 MB, 512 KB, 900 bytes)."""
    if n >= 2**20:
        return f"{n / 2**20:.3g} MB"
    return f"{n / 2**10:.3g} KB" if n >= 2**10 else f"{n} bytes"


def too_much_data(target: Target, doing: str) -> SnmpTooMuchData:
    """The error of an agent that sent more than the budget while ``doing`` something."""
    return SnmpTooMuchData(
        f"sent more than {_size(target.max_walk_bytes)} {doing}: a looping or broken agent?",
        address=target.address,
    )


def _what(names: Sequence[str]) -> str:
    """The columns of a walk, for messages (the first one and how many more)."""
    more = len(names) - 1
    return names[0] + (f" and {more} more column{'s' * (more > 1)}" if more > 0 else "")


def timeout_error(target: Target) -> SnmpTimeout:
    """The timeout error, worded like the pysnmp backend's (never the community)."""
    tries = target.retries + 1
    return SnmpTimeout(
        f"no answer from {target.address} within {target.timeout:g} s "
        f"({tries} tries, {target.timeout * tries:g} s total)"
    )


class Channel(asyncio.DatagramProtocol):
    """A connected UDP socket to one agent; answers matched to requests by request-id.

    ``waiting`` maps request-id -> [waiter, message, deadline, sends, raw]; the waiter is a
    Future, or a Callback run as the answer is read. One timer per channel (not per request)
    fires at the earliest deadline to resend or fail what is overdue.
    ``received`` counts the octets of the answers taken (callers hold it to a budget), once
    per datagram: it bounds the values and OIDs kept from them at no cost per row.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.version = _VERSIONS[target.version]
        self.community = target.community.encode()
        self.transport: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, list[Any]] = {}
        self.garbage: SnmpMalformed | None = None
        self.lost: SnmpError | None = None  # the socket is gone: every request fails with this
        self.received = 0
        self._next_id = random.randrange(1, 2**30)
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        # closed by us after the last answer, or by asyncio on a fatal error (a MemoryError
        # in recvfrom): whatever still waits fails now, it would never be answered or timed
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        why = type(exc).__name__ if exc is not None else "closed"
        self.lost = SnmpUnreachable(f"lost the UDP socket to {self.target.address} ({why})")
        self._fail_all(self.lost)

    def _fail_all(self, error: SnmpError) -> None:
        """Fail every request still waiting with ``error``."""
        for entry in list(self.waiting.values()):  # a Callback may send or drop requests
            if not entry[0].done():
                entry[0].set_exception(error)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self._answer(data, addr)
        except Exception as exc:  # MemoryError while decoding, or a bug: fail, never hang
            # the type only: an exception's text may quote the datagram (and its community)
            what = "ran out of memory" if isinstance(exc, MemoryError) else "could not read"
            self._fail_all(
                SnmpError(
                    f"{what} decoding an answer from {self.target.address} ({type(exc).__name__})"
                )
            )

    def _answer(self, data: bytes, addr: Any) -> None:
        """Hand a datagram to the request it answers (or report it as garbage)."""
        entry = None
        try:
            response, pos = codec.parse_head(data)
            entry = self.waiting.get(response.request_id)
            if entry is not None and entry[4]:  # a GET: get_many decodes, knowing the names
                result: Any = response, data, pos
            else:
                result = response = response._replace(varbinds=codec.parse_varbinds(data, pos))
        except SnmpMalformed as exc:
            error = SnmpMalformed(f"bad answer from {self.target.address}: {exc}")
            if entry is None:
                entry = self.waiting.get(codec.request_id_of(data))  # type: ignore[arg-type]
            if entry is not None and not entry[0].done():
                entry[0].set_exception(error)
            else:
                self.garbage = error  # reported if the request then times out
            return
        # a late answer to a finished request, or another manager's: not ours (RFC 3416 §4.1)
        if entry is None or entry[0].done():
            log.debug("dropped stray answer %s from %s", response.request_id, addr)
        elif response.version != self.version or response.community != self.community:
            log.debug("dropped answer with another version/community from %s", addr)
        else:
            self.received += len(data)
            entry[0].set_result(result)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable surfaces here as ConnectionRefusedError on a connected socket
        self._fail_all(SnmpUnreachable(f"cannot reach {self.target.address}: {exc}"))

    def send(
        self,
        pdu: int,
        oids: Sequence[bytes],
        max_repetitions: int = 0,
        waiter: Callback | None = None,
        raw: bool = False,
    ) -> int:
        """Send one request now (resent with the same octets each timeout); its request-id.

        Collect the answer with ``wait`` or abandon it with ``drop``; or have ``waiter`` take
        it (then ``take`` it in the callback). ``raw``: the answer is given as
        (Response without variable-bindings, message, where they start), as for send_get.
        """
        request_id = self._request_id()
        message = codec.encode_request(
            pdu,
            request_id,
            oids,
            version=self.version,
            community=self.community,
            max_repetitions=max_repetitions,
        )
        return self._submit(request_id, message, raw, waiter)

    def send_get(self, tlvs: Sequence[bytes]) -> int:
        """Send a GET of codec.encode_names() TLVs, like ``send``; ``wait`` then gives
        (Response without variable-bindings, message, where they start): see codec.get_values.
        """
        request_id = self._request_id()
        message = codec.encode_get(request_id, tlvs, version=self.version, community=self.community)
        return self._submit(request_id, message, True)

    def _request_id(self) -> int:
        request_id = self._next_id
        self._next_id = request_id + 1 if request_id < 2**31 - 1 else 1
        return request_id

    def _submit(
        self, request_id: int, message: bytes, raw: bool, waiter: Callback | None = None
    ) -> int:
        if self.lost is not None:  # a closed transport drops what it is given without a word
            raise self.lost
        deadline = self.clock() + self.target.timeout
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
        else:
            waiter.request_id = request_id
        self.waiting[request_id] = [waiter, message, deadline, 1, raw]
        self.transmit(message)
        self._arm(deadline)
        return request_id

    def clock(self) -> float:
        """Seconds on the clock deadlines are kept in (the event loop's)."""
        return asyncio.get_running_loop().time()

    def transmit(self, message: bytes) -> None:
        """Send one datagram to the agent."""
        self.transport.sendto(message)  # type: ignore[union-attr]

    def _arm(self, deadline: float) -> None:
        """Make sure _expire runs by ``deadline``."""
        if self._timer is None:  # same timeout for all: an armed timer is due no later
            self._timer = asyncio.get_running_loop().call_at(deadline, self._expire)

    async def wait(self, request_id: int) -> Any:
        """The parsed Response to a sent request (SnmpTimeout etc. on failure)."""
        try:
            return await self.waiting[request_id][0]
        finally:
            del self.waiting[request_id]

    def take(self, request_id: int) -> tuple[float, int]:
        """Forget an answered Callback request: (seconds since its last send, sends)."""
        entry = self.waiting.pop(request_id)
        sent = entry[2] - self.target.timeout
        return self.clock() - sent, entry[3]

    def drop(self, request_id: int) -> None:
        """Abandon a sent request: a late answer is then dropped as stray."""
        entry = self.waiting.pop(request_id, None)
        if entry is None:  # already awaited (a walk cancelled while it waited for it)
            return
        waiter = entry[0]
        if waiter.done() and not waiter.cancelled():
            waiter.exception()  # seen: no "exception was never retrieved" log
        waiter.cancel()

    async def request(self, pdu: int, oids: Sequence[bytes], max_repetitions: int = 0) -> Any:
        """Send one request, resending the same octets each timeout; the parsed Response."""
        return await self.wait(self.send(pdu, oids, max_repetitions))

    def _expire(self) -> None:
        """The timer: resend or fail the overdue requests; re-arm for the next deadline."""
        self._timer = None
        soonest = self.overdue(self.clock() + 0.001)  # 1 ms: the loop may run timers early
        if soonest is not None:  # a request sent by a Callback is due later: covered
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_at(soonest, self._expire)

    def overdue(self, now: float) -> float | None:
        """Resend or fail the requests due by ``now``; the next deadline (None: none waits)."""
        target, soonest, failed = self.target, None, []
        for entry in self.waiting.values():
            if entry[0].done():
                continue
            if entry[2] <= now:
                if entry[3] > target.retries:
                    failed.append(entry[0])
                    continue
                entry[2], entry[3] = now + target.timeout, entry[3] + 1
                self.transmit(entry[1])
            soonest = entry[2] if soonest is None else min(soonest, entry[2])
        for waiter in failed:  # after the loop: a Callback may send or drop requests
            if not waiter.done():
                waiter.set_exception(self.garbage or timeout_error(target))
        return soonest


class Callback:
    """A Future's place in ``Channel.waiting`` for a request answered in a callback.

    ``fn(callback, result, error)`` runs as soon as the answer is read (or the request fails):
    a walk sends its next request from there, without waking a task per round trip, which
    costs asyncio a loop iteration and an epoll call (issue 11). ``args`` are the caller's.
    """

    __slots__ = ("fn", "args", "request_id", "_done")

    def __init__(self, fn: Callable[[Callback, Any, BaseException | None], None], *args: Any):
        self.fn, self.args, self.request_id, self._done = fn, args, 0, False

    def done(self) -> bool:
        """True once answered, failed or dropped."""
        return self._done

    def cancelled(self) -> bool:
        """Like Future.cancelled: a dropped Callback just never runs."""
        return False

    def exception(self) -> None:
        """Like Future.exception: a Callback's failure went to ``fn``."""

    def cancel(self) -> None:
        """Never run (the request was dropped)."""
        self._done = True

    def set_result(self, result: Any) -> None:
        """Run with the answer."""
        if not self._done:
            self._done = True
            self.fn(self, result, None)

    def set_exception(self, error: BaseException) -> None:
        """Run with the failure."""
        if not self._done:
            self._done = True
            self.fn(self, None, error)


@asynccontextmanager
async def channel(target: Target) -> AsyncIterator[Channel]:
    """A Channel for ``target``, closed on exit."""
    if target.version not in _VERSIONS:
        raise ValueError("the fast backend speaks SNMPv1/v2c only")
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: Channel(target), remote_addr=(target.host.strip("[]"), target.port)
        )
    except OSError as exc:  # includes socket.gaierror
        raise SnmpUnreachable(f"cannot reach {target.address}: {exc}") from exc
    # asyncio reads each datagram into a 256 KiB buffer (_SelectorDatagramTransport.max_size):
    # an allocation that large is an mmap/munmap pair per answer, ~20 us of the ~50 us a round
    # trip cost (measured, issue 11). No UDP payload exceeds 65,535 octets (RFC 768's length).
    transport.max_size = _DATAGRAM_MAX
    try:
        yield protocol
    finally:
        transport.close()


async def _all(coros: list[Awaitable[None]]) -> None:
    """Run coroutines concurrently; on the first failure cancel the rest and re-raise."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


async def get_many(
    target: Target, oids: Sequence[str], *, batch: int = GET_BATCH, in_flight: int = IN_FLIGHT
) -> list[VarBind]:
    """GET many OIDs, ``batch`` per request, ``in_flight`` requests at once; tooBig halves."""
    if batch < 1 or in_flight < 1:
        raise ValueError("batch and in_flight must be >= 1")
    tlvs, names = codec.encode_names(oids)
    count = len(tlvs)
    results: list[VarBind] = [None] * count  # type: ignore[list-item]
    todo = deque((i, min(i + batch, count)) for i in range(0, count, batch))

    async def worker(ch: Channel) -> None:
        while todo:
            first, last = todo.popleft()
            answer, data, pos = await ch.wait(ch.send_get(tlvs[first:last]))
            if ch.received > target.max_walk_bytes:  # values as long as a datagram allows
                raise too_much_data(target, f"answering GETs of {count} OIDs")
            status = answer.error_status
            if status == _TOO_BIG and last - first > 1:  # RFC 3416 §4.2.1: ask for less
                middle = (first + last) // 2
                todo.extendleft(((middle, last), (first, middle)))
                continue
            if status:
                raise status_error(target, status, answer.error_index, names[first:last])
            try:
                asked = names[first:last]
                values = codec.get_values(data, pos, tlvs[first:last], asked)
                if values is None:
                    values = _get_slow(data, pos, asked)
            except SnmpMalformed as exc:
                raise SnmpMalformed(f"bad answer from {target.address}: {exc}") from None
            results[first:last] = values

    async with channel(target) as ch:
        await _all([worker(ch) for _ in range(min(in_flight, len(todo)))])
    return results


def _get_slow(data: bytes, pos: int, names: list[str]) -> list[VarBind]:
    """A GET answer whose names are not the request's: decoded in full to say how."""
    varbinds = codec.parse_varbinds(data, pos)
    if len(varbinds) != len(names):
        raise SnmpMalformed(f"{len(varbinds)} variable-bindings for {len(names)} names")
    out = []
    for name, (oid, tag, content) in zip(names, varbinds, strict=True):
        if codec.oid_str(oid) != name:  # a Response repeats the requested names
            raise SnmpMalformed(f"{codec.oid_str(oid)} for a GET of {name}")
        out.append(VarBind(name, *codec.decode_value(tag, content)))
    return out


PROBE_BATCH = 16  # columns per GETNEXT when probing which tables an agent has


async def first_rows(target: Target, columns: Sequence[str]) -> dict[str, VarBind | None]:
    """GETNEXT on each column: its first row, or None when the agent has nothing in it.

    Columns go ``PROBE_BATCH`` per request; a request refused with an error status is retried
    column by column, and a column refused on its own counts as absent (v1 noSuchName, or an
    agent's genErr on an object it does not implement).
    """
    out: dict[str, VarBind | None] = {}
    async with channel(target) as ch:
        for start in range(0, len(columns), PROBE_BATCH):
            batch = list(columns[start : start + PROBE_BATCH])
            answers = await _probe(ch, batch)
            if answers is None:
                answers = {}
                for column in batch:
                    answers.update(await _probe(ch, [column]) or {column: None})
            out.update(answers)
    return out


async def _probe(ch: Channel, columns: list[str]) -> dict[str, VarBind | None] | None:
    """One GETNEXT for ``columns``; None if the agent answered with an error status."""
    answer = await ch.request(codec.GETNEXT, [codec.encode_oid(c) for c in columns])
    if answer.error_status:
        return None
    if len(answer.varbinds) != len(columns):
        raise SnmpMalformed(
            f"{ch.target.address} answered {len(answer.varbinds)} variable-bindings "
            f"to a GETNEXT of {len(columns)}"
        )
    out: dict[str, VarBind | None] = {}
    for column, (oid, tag, content) in zip(columns, answer.varbinds, strict=True):
        name = codec.oid_str(oid)
        inside = name.startswith(column + ".") and tag not in END_TAGS
        out[column] = VarBind(name, *decode_value(tag, content)) if inside else None
    return out
