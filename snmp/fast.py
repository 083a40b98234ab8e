"""SNMPv1/v2c over a plain asyncio UDP socket with snmp.codec: batched GETs, multi-column walks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from snmp import codec
from snmp._pysnmp import status_error
from snmp.codec import END_TAGS, VarBind
from snmp.errors import SnmpMalformed, SnmpTimeout, SnmpUnreachable

if TYPE_CHECKING:
    from snmp.client import Target

log = logging.getLogger(__name__)

GET_BATCH = 50  # varbinds per GET request
IN_FLIGHT = 4  # GET requests outstanding per target
_TOO_BIG, _NO_SUCH_NAME = 1, 2  # errorStatus values, RFC 3416 §3 / RFC 1157 §4.1.1
_VERSIONS = {"1": 0, "2c": 1}  # msgVersion, RFC 1157 §4 / RFC 1901 §3


def timeout_error(target: Target) -> SnmpTimeout:
    """The timeout error, worded like the pysnmp backend's (never the community)."""
    tries = target.retries + 1
    return SnmpTimeout(
        f"no answer from {target.address} within {target.timeout:g} s "
        f"({tries} tries, {target.timeout * tries:g} s total)"
    )


class Channel(asyncio.DatagramProtocol):
    """A connected UDP socket to one agent; answers matched to requests by request-id."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.version = _VERSIONS[target.version]
        self.community = target.community.encode()
        self.transport: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, asyncio.Future[codec.Response]] = {}
        self.garbage: SnmpMalformed | None = None
        self._next_id = random.randrange(1, 2**30)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            response = codec.parse_response(data)
        except SnmpMalformed as exc:
            error = SnmpMalformed(f"bad answer from {self.target.address}: {exc}")
            waiter = self.waiting.get(codec.request_id_of(data))  # type: ignore[arg-type]
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
            else:
                self.garbage = error  # reported if the request then times out
            return
        waiter = self.waiting.get(response.request_id)
        # a late answer to a finished request, or another manager's: not ours (RFC 3416 §4.1)
        if waiter is None or waiter.done():
            log.debug("dropped stray answer %s from %s", response.request_id, addr)
        elif response.version != self.version or response.community != self.community:
            log.debug("dropped answer with another version/community from %s", addr)
        else:
            waiter.set_result(response)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable surfaces here as ConnectionRefusedError on a connected socket
        error = SnmpUnreachable(f"cannot reach {self.target.address}: {exc}")
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(error)

    async def request(self, pdu: int, oids: Sequence[bytes], max_repetitions: int = 0) -> Any:
        """Send one request, resending the same octets each timeout; the parsed Response."""
        request_id = self._next_id
        self._next_id = request_id + 1 if request_id < 2**31 - 1 else 1
        message = codec.encode_request(
            pdu,
            request_id,
            oids,
            version=self.version,
            community=self.community,
            max_repetitions=max_repetitions,
        )
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[codec.Response] = loop.create_future()
        self.waiting[request_id] = waiter
        target, tries = self.target, [0]

        def send() -> None:
            if waiter.done():
                return
            if tries[0] > target.retries:
                waiter.set_exception(self.garbage or timeout_error(target))
                return
            tries[0] += 1
            self.transport.sendto(message)  # type: ignore[union-attr]
            timer[0] = loop.call_later(target.timeout, send)

        timer: list[asyncio.TimerHandle] = []
        timer.append(loop.call_soon(send))
        try:
            return await waiter
        finally:
            timer[0].cancel()
            del self.waiting[request_id]


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
    encoded = [codec.encode_oid(o) for o in oids]
    names = [codec.oid_str(o) for o in encoded]
    results: list[VarBind | None] = [None] * len(encoded)
    gate = asyncio.Semaphore(in_flight)

    async def run(ch: Channel, first: int, last: int) -> None:
        async with gate:
            answer = await ch.request(codec.GET, encoded[first:last])
        status, index = answer.error_status, answer.error_index
        if status == _TOO_BIG and last - first > 1:  # RFC 3416 §4.2.1: ask for less
            middle = (first + last) // 2
            await _all([run(ch, first, middle), run(ch, middle, last)])
            return
        if status:
            raise status_error(target, status, index, names[first:last])
        if len(answer.varbinds) != last - first:
            raise SnmpMalformed(
                f"{target.address} answered {len(answer.varbinds)} of {last - first}"
            )
        for offset, (oid, tag, content) in enumerate(answer.varbinds):
            if oid != encoded[first + offset]:  # a Response repeats the requested names
                raise SnmpMalformed(f"{target.address} answered {codec.oid_str(oid)} for a GET")
            results[first + offset] = VarBind(
                names[first + offset], *codec.decode_value(tag, content)
            )

    async with channel(target) as ch:
        await _all(
            [run(ch, i, min(i + batch, len(encoded))) for i in range(0, len(encoded), batch)]
        )
    return results  # type: ignore[return-value]


class _Column:
    """Walk state of one column: where to continue, last index seen, rows so far."""

    __slots__ = ("name", "dotted", "prefix", "next_oid", "last", "rows")

    def __init__(self, name: str) -> None:
        self.prefix = codec.encode_oid(name)
        self.name = codec.oid_str(self.prefix)
        self.dotted = self.name + "."
        self.next_oid = self.prefix
        self.last: tuple[int, ...] = ()
        self.rows: list[VarBind] = []

    def take(self, oid: bytes, tag: int, content: bytes, seen: dict[bytes, tuple]) -> bool:
        """Record one answer; False when it ends the column (out of subtree or exception).

        ``seen`` caches decoded indexes: every column of a row shares the same one.
        """
        prefix = self.prefix
        if tag in END_TAGS or not oid.startswith(prefix):
            return False
        # prefix octets end on a sub-identifier boundary, so the rest is the index (X.690 §8.19)
        rest = oid[len(prefix) :]
        known = seen.get(rest)
        if known is None:
            arcs = codec.oid_arcs(rest, first=False) if rest else ()
            known = seen[rest] = (arcs, ".".join(map(str, arcs)))
        arcs, text = known
        if arcs <= self.last:
            raise SnmpMalformed(f"non-increasing OID {self.dotted}{text} while walking {self.name}")
        self.last, self.next_oid = arcs, oid
        self.rows.append(VarBind(self.dotted + text, *codec.decode_value(tag, content)))
        return True


async def walk_columns(target: Target, columns: Sequence[str]) -> dict[str, list[VarBind]]:
    """Walk several columns together (GETBULK, GETNEXT for v1); each ends on its own."""
    state = {name: _Column(name) for name in columns}
    async with channel(target) as ch:
        await _walk(ch, list(state.values()))
    for column in state.values():
        log.debug("walked %s on %s: %d rows", column.name, target.address, len(column.rows))
    return {name: column.rows for name, column in state.items()}


async def _walk(ch: Channel, active: list[_Column]) -> None:
    """Request rounds until every column has ended."""
    target = ch.target
    v1 = target.version == "1"
    repetitions = target.max_repetitions
    while active:
        oids = [c.next_oid for c in active]
        if v1:
            answer = await ch.request(codec.GETNEXT, oids)
        else:
            answer = await ch.request(codec.GETBULK, oids, max(1, repetitions))
        status, index = answer.error_status, answer.error_index
        if status == _NO_SUCH_NAME and v1:  # RFC 1157 §4.1.3: that column is past the MIB view
            valid = 0 < index <= len(active)
            active = [c for i, c in enumerate(active) if i != index - 1] if valid else []
            continue
        if status == _TOO_BIG and not v1 and repetitions > 1:
            repetitions //= 2
            continue
        if status:
            raise status_error(target, status, index, [c.name for c in active])
        if not answer.varbinds:
            break  # nothing to continue from: treat as the end, like the pysnmp backend
        active = _consume(active, answer.varbinds)


def _consume(active: list[_Column], varbinds: list[tuple[bytes, int, bytes]]) -> list[_Column]:
    """Hand each answer to its column; the still-running columns.

    GETBULK answers come row by row, one per requested column (RFC 3416 §4.2.3); an agent
    may cut the list anywhere, so a column missing from a short answer just asks again.
    """
    width = len(active)
    ended: set[int] = set()
    seen: dict[bytes, tuple] = {}
    for position, (oid, tag, content) in enumerate(varbinds):
        slot = position % width
        if slot not in ended and not active[slot].take(oid, tag, content, seen):
            ended.add(slot)
    return [c for i, c in enumerate(active) if i not in ended]
