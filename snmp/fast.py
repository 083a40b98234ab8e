"""SNMPv1/v2c over a plain asyncio UDP socket with snmp.codec: batched GETs, multi-column walks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from snmp import codec
from snmp._pysnmp import status_error
from snmp.codec import END_TAGS, VarBind, decode_value, render_octets
from snmp.errors import SnmpError, SnmpMalformed, SnmpTimeout, SnmpTooMuchData, SnmpUnreachable

if TYPE_CHECKING:
    from snmp.client import Target

log = logging.getLogger(__name__)

GET_BATCH = 50  # varbinds per GET request
IN_FLIGHT = 4  # GET requests outstanding per target
_TOO_BIG, _NO_SUCH_NAME = 1, 2  # errorStatus values, RFC 3416 §3 / RFC 1157 §4.1.1
_VERSIONS = {"1": 0, "2c": 1}  # msgVersion, RFC 1157 §4 / RFC 1901 §3


MAX_ROWS = 1_000_000  # per column: a walk past this is an agent returning ever-growing OIDs
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
_SMALL = tuple(str(n) for n in range(128))  # text of one-octet sub-identifiers
from_bytes = int.from_bytes
_INTEGER, _OCTETS = 0x02, 0x04  # universal tags, X.690 §8.3 / §8.7


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

    ``waiting`` maps request-id -> [future, message, deadline, sends, raw]. One timer per channel
    (not per request) fires at the earliest deadline to resend or fail what is overdue.
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
        for entry in self.waiting.values():
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

    def send(self, pdu: int, oids: Sequence[bytes], max_repetitions: int = 0) -> int:
        """Send one request now (resent with the same octets each timeout); its request-id.

        Collect the answer with ``wait`` or abandon it with ``drop``.
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
        return self._submit(request_id, message, False)

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

    def _submit(self, request_id: int, message: bytes, raw: bool) -> int:
        if self.lost is not None:  # a closed transport drops what it is given without a word
            raise self.lost
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.target.timeout
        self.waiting[request_id] = [loop.create_future(), message, deadline, 1, raw]
        self.transport.sendto(message)  # type: ignore[union-attr]
        if self._timer is None:  # same timeout for all: an armed timer is due no later
            self._timer = loop.call_at(deadline, self._expire)
        return request_id

    async def wait(self, request_id: int) -> Any:
        """The parsed Response to a sent request (SnmpTimeout etc. on failure)."""
        try:
            return await self.waiting[request_id][0]
        finally:
            del self.waiting[request_id]

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
        """Resend or fail the overdue requests; re-arm for the next deadline."""
        loop, target = asyncio.get_running_loop(), self.target
        now, soonest = loop.time() + 0.001, None  # 1 ms: the loop may run timers that early
        for entry in self.waiting.values():
            if entry[0].done():
                continue
            if entry[2] <= now:
                if entry[3] > target.retries:
                    entry[0].set_exception(self.garbage or timeout_error(target))
                    continue
                entry[2], entry[3] = now + target.timeout, entry[3] + 1
                self.transport.sendto(entry[1])  # type: ignore[union-attr]
            soonest = entry[2] if soonest is None else min(soonest, entry[2])
        self._timer = None if soonest is None else loop.call_at(soonest, self._expire)


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


class _Column:
    """Walk state of one column: where to continue, last index seen, rows so far.

    Indexes are split before their last sub-identifier: the head (say a PON port's ifIndex)
    repeats over many rows, so its arcs and text are decoded once per column and cached.
    """

    __slots__ = ("name", "dotted", "prefix", "next_oid", "rows", "limit", "_heads", "_key")
    __slots__ += ("_head", "_arc", "_text")

    def __init__(self, name: str) -> None:
        self.prefix = codec.encode_oid(name)
        self.name = codec.oid_str(self.prefix)
        self.dotted = self.name + "."
        self.next_oid = self.prefix
        self.rows: list[VarBind] = []
        self.limit = MAX_ROWS
        self._heads: dict[bytes, tuple[tuple[int, ...], str]] = {}
        self.last = ()

    @property
    def last(self) -> tuple[int, ...]:
        """Arcs of the last index taken; () before the first row."""
        return self._head if self._arc < 0 else (*self._head, self._arc)

    @last.setter
    def last(self, arcs: tuple[int, ...]) -> None:
        self._key, self._text = None, ""
        self._head, self._arc = tuple(arcs[:-1]), arcs[-1] if arcs else -1

    def take(self, answers: list[tuple[bytes, int, bytes]]) -> bool:
        """Record this column's answers; False once one ends it (out of subtree or exception)."""
        rows, prefix, small, key, arc, text = (
            self.rows,
            self.prefix,
            _SMALL,
            self._key,
            self._arc,
            self._text,
        )
        append, taken, going = rows.append, None, True
        for oid, tag, content in answers:
            last = oid[-1]  # hot path: same head, a larger one-octet last arc, not an exception
            if arc < last < 0x80 and tag < 0x80 and oid[:-1] == key:
                arc, name = last, text + small[last]
            elif tag in END_TAGS or not oid.startswith(prefix):
                going = False
                break
            else:
                self._arc = arc
                name = self._index(oid)  # checks that the index increases
                key, arc, text = self._key, self._arc, self._text
            if tag == _INTEGER and 0 < len(content) < 5:
                append(VarBind(name, "Integer", from_bytes(content, "big", signed=True)))
            elif tag == _OCTETS:
                append(VarBind(name, "OctetString", render_octets(content), content))
            else:
                append(VarBind(name, *decode_value(tag, content)))
            taken = oid
        self._arc = arc
        if taken is not None:
            self.next_oid = taken
        if len(rows) > self.limit:
            raise SnmpMalformed(f"{self.name} has more than {self.limit} rows: a looping agent?")
        return going

    def _index(self, oid: bytes) -> str:
        """Full text of a new index (head changed or unusual encoding); checks it increases."""
        rest = oid[len(self.prefix) :]
        key = oid[:-1] if rest and oid[-1] < 0x80 and oid[-2] < 0x80 else None
        if key is None:
            arcs = codec.oid_arcs(rest, first=False) if rest else ()
            text = self.dotted + ".".join(map(str, arcs))
        else:
            entry = self._heads.get(key)
            if entry is None:
                head = codec.oid_arcs(rest[:-1], first=False) if len(rest) > 1 else ()
                if len(self._heads) >= 4096:
                    self._heads.clear()
                entry = self._heads[key] = (head, self.dotted + "".join(f"{a}." for a in head))
            arcs, text = (*entry[0], oid[-1]), entry[1] + _SMALL[oid[-1]]
        if arcs <= self.last:
            raise SnmpMalformed(f"non-increasing OID {text} while walking {self.name}")
        self.last = arcs
        if key is not None:
            self._key, self._text = key, entry[1]
        return text


async def walk_columns(target: Target, columns: Sequence[str]) -> dict[str, list[VarBind]]:
    """Walk several columns together (GETBULK, GETNEXT for v1); each ends on its own."""
    state = {name: _Column(name) for name in columns}
    try:
        async with channel(target) as ch:
            await _walk(ch, list(state.values()))
    except MemoryError:
        state.clear()  # the rows go first: raising needs a little memory too
        raise SnmpError(
            f"ran out of memory walking {_what(list(columns))} on {target.address}"
        ) from None
    for column in state.values():
        log.debug("walked %s on %s: %d rows", column.name, target.address, len(column.rows))
    log.debug("walk on %s: %d octets of answers", target.address, ch.received)
    return {name: column.rows for name, column in state.items()}


async def _walk(ch: Channel, active: list[_Column]) -> None:
    """Request rounds until every column has ended.

    The next request goes out before an answer is decoded when its last row shows where
    each column continues: the agent works on it while we decode (checked, resent if wrong).
    """
    v1 = ch.target.version == "1"
    pdu, repetitions = (codec.GETNEXT, 0) if v1 else (codec.GETBULK, ch.target.max_repetitions)
    budget = ch.target.max_walk_bytes
    ahead: tuple[list[bytes], int] | None = None  # a request sent before decoding
    try:
        while active:
            oids = [c.next_oid for c in active]
            sent, ahead = ahead, None  # wait() forgets the request even when it fails
            if sent is not None and sent[0] == oids:
                answer = await ch.wait(sent[1])
            else:
                if sent is not None:
                    ch.drop(sent[1])
                answer = await ch.request(pdu, oids, repetitions)
            if ch.received > budget:  # before its rows are kept
                raise too_much_data(ch.target, f"while walking {_what([c.name for c in active])}")
            status, index = answer.error_status, answer.error_index
            if status == _NO_SUCH_NAME and v1:  # RFC 1157 §4.1.3: column past the MIB view
                valid = 0 < index <= len(active)
                active = [c for i, c in enumerate(active) if i != index - 1] if valid else []
                continue
            if status == _TOO_BIG and not v1 and repetitions > 1:
                repetitions //= 2
                continue
            if status:
                raise status_error(ch.target, status, index, [c.name for c in active])
            if not answer.varbinds:
                # RFC 3416 §4.2.3 leaves no room for an empty answer (tooBig is the way to say
                # "too much"): ask once with GETNEXT whether the columns really ended, so that
                # a glitching agent does not end the walk early (a truncated walk must not
                # pass for a complete one)
                answer = await ch.request(codec.GETNEXT, [c.next_oid for c in active])
                if answer.error_status or len(answer.varbinds) != len(active):
                    raise SnmpMalformed(
                        f"{ch.target.address} sent an empty answer to a GETBULK and no usable "
                        "GETNEXT answer: the walk is incomplete"
                    )
            guess = _next_oids(active, answer.varbinds)
            if guess is not None:
                ahead = guess, ch.send(pdu, guess, repetitions)
            active = _consume(active, answer.varbinds)
    finally:
        if ahead is not None:
            ch.drop(ahead[1])


def _next_oids(
    active: list[_Column], varbinds: list[tuple[bytes, int, bytes]]
) -> list[bytes] | None:
    """Where each column continues after this answer, if all go on (None: some may end)."""
    width, count, oids = len(active), len(varbinds), []
    for i, column in enumerate(active):
        if i >= count:
            oids.append(column.next_oid)
            continue
        oid, tag, _ = varbinds[i + (count - 1 - i) // width * width]
        if tag in END_TAGS or not oid.startswith(column.prefix) or len(oid) == len(column.prefix):
            return None
        oids.append(oid)
    return oids


def _consume(active: list[_Column], varbinds: list[tuple[bytes, int, bytes]]) -> list[_Column]:
    """Hand each column its answers; the still-running columns.

    GETBULK answers come row by row, one per requested column (RFC 3416 §4.2.3); an agent
    may cut the list anywhere, so a column missing from a short answer just asks again.
    """
    width = len(active)
    if width == 1:
        return active if active[0].take(varbinds) else []
    return [c for i, c in enumerate(active) if c.take(varbinds[i::width])]


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
