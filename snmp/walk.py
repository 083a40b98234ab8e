"""Multi-column walks over snmp.fast channels: GETBULK (GETNEXT on v1), driven by the answers.

Each answer is handled in the channel's callback as soon as it is read: the next request
goes out before the rows are decoded (the agent works while we decode), and no task wakes
up per round trip (issue 11: asyncio's wake-up was most of a round trip's cost).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from snmp import adapt, codec
from snmp._pysnmp import status_error
from snmp.codec import END_TAGS, VarBind
from snmp.column import Column, uniform, varbind_at, varbind_starts
from snmp.errors import SnmpError, SnmpMalformed
from snmp.fast import Callback, Channel, _what, channel, too_much_data

if TYPE_CHECKING:
    from snmp.client import Target

log = logging.getLogger(__name__)
_TOO_BIG, _NO_SUCH_NAME = 1, 2  # errorStatus values, RFC 3416 §3 / RFC 1157 §4.1.1
CHECK_EVERY = 0.2  # seconds between two ``check`` calls of a sync walk (a Redis round trip)


async def walk_columns(target: Target, columns: Sequence[str]) -> dict[str, list[VarBind]]:
    """Walk several columns together (GETBULK, GETNEXT for v1); each ends on its own."""
    with _walking(target, columns) as (state, reps):
        async with channel(target) as ch:
            walk = _Walk(ch, list(state.values()), reps)
            try:
                await walk.start(asyncio.get_running_loop().create_future())
            finally:
                walk.stop()
    return _rows_of(state, ch)


def walk_columns_sync(
    target: Target,
    columns: Sequence[str],
    check: Callable[[], None] | None = None,
    every: float = CHECK_EVERY,
) -> dict[str, list[VarBind]]:
    """walk_columns on a blocking socket, without an event loop (a job walks one OLT).

    ``check`` runs every ``every`` seconds between round trips; when it raises, the walk
    stops (its socket closes) and the exception propagates. Many OLTs at once: one process
    (or thread) each, or walk_columns in one event loop.
    """
    from snmp.sync import Outcome, sync_channel  # sync imports this module

    with _walking(target, columns) as (state, reps), sync_channel(target) as ch:
        walk = _Walk(ch, list(state.values()), reps)
        finished = Outcome()
        try:
            walk.start(finished)
            ch.run(finished, check, every)
        finally:
            walk.stop()
    return _rows_of(state, ch)


@contextmanager
def _walking(
    target: Target, columns: Sequence[str]
) -> Iterator[tuple[dict[str, Column], adapt.Repetitions]]:
    """Columns and max-repetitions of one walk; a MemoryError becomes an SnmpError."""
    state = {name: Column(name) for name in columns}
    stats = adapt.current()
    reps = adapt.Repetitions(
        target.max_repetitions,
        target.timeout,
        adaptive=target.adapt_repetitions,
        start=stats.learned.get(target.address) if stats is not None else None,
        stats=stats,
    )
    try:
        yield state, reps
    except MemoryError:
        state.clear()  # the rows go first: raising needs a little memory too
        raise SnmpError(
            f"ran out of memory walking {_what(list(columns))} on {target.address}"
        ) from None
    finally:
        if stats is not None:
            stats.learned[target.address] = reps.value


def _rows_of(state: dict[str, Column], ch: Channel) -> dict[str, list[VarBind]]:
    """Column name -> rows of a finished walk."""
    for column in state.values():
        log.debug("walked %s on %s: %d rows", column.name, ch.target.address, len(column.rows))
    log.debug("walk on %s: %d octets of answers", ch.target.address, ch.received)
    return {name: column.rows for name, column in state.items()}


class _Walk:
    """Request rounds until every column has ended; ``start()`` is the future of the end."""

    def __init__(self, ch: Channel, active: list[Column], reps: adapt.Repetitions) -> None:
        self.ch, self.active, self.reps = ch, active, reps
        self.v1 = ch.target.version == "1"
        self.pdu = codec.GETNEXT if self.v1 else codec.GETBULK
        self.pending: tuple[int, list[bytes]] | None = None  # request-id, OIDs asked
        self.finished: Any = None

    def start(self, finished: Any) -> Any:
        """Send the first request; ``finished`` (a Future, or a sync.Outcome) ends with the
        walk."""
        self.finished = finished
        self._ask([c.next_oid for c in self.active])
        return finished

    def stop(self) -> None:
        """Abandon the request in flight (the walk ended, failed or was cancelled)."""
        if self.pending is not None:
            self.ch.drop(self.pending[0])
            self.pending = None

    def _ask(self, oids: list[bytes], pdu: int = 0, then: Any = None) -> None:
        """Send the next request; its answer goes to ``then`` (default: _answered)."""
        pdu = pdu or self.pdu
        reps = self.reps.value if pdu == codec.GETBULK else 0
        if reps:
            self.reps.stats.used(reps)
        waiter = Callback(self._settle, then or self._answered, reps)
        self.pending = self.ch.send(pdu, oids, reps, waiter, raw=True), oids

    def _settle(self, waiter: Callback, answer: Any, error: BaseException | None) -> None:
        """The channel's callback: hand the answer on; any error ends the walk with it."""
        if self.finished.done():  # cancelled: whatever comes now is not wanted
            return
        if self.pending is not None and self.pending[0] == waiter.request_id:
            self.pending = None
        try:
            seconds, tries = self.ch.take(waiter.request_id)
            if error is not None:
                raise error
            handle, reps = waiter.args
            handle(answer, reps, seconds, tries)
        except Exception as exc:  # the awaiting task raises it
            self.stop()
            self.finished.set_exception(exc)

    def _answered(self, answer: Any, reps: int, seconds: float, tries: int) -> None:
        ch, active = self.ch, self.active
        if ch.received > ch.target.max_walk_bytes:  # before its rows are kept
            raise too_much_data(ch.target, f"while walking {_what([c.name for c in active])}")
        response, data, pos = answer
        status, index = response.error_status, response.error_index
        if status == _NO_SUCH_NAME and self.v1:  # RFC 1157 §4.1.3: column past the MIB view
            valid = 0 < index <= len(active)
            self.active = [c for i, c in enumerate(active) if i != index - 1] if valid else []
            return self._next(None)
        if status == _TOO_BIG and not self.v1 and self.reps.too_big(reps):
            return self._next(None)  # RFC 3416 §4.2.3: ask for fewer repetitions
        if status:
            raise status_error(ch.target, status, index, [c.name for c in active])
        if pos == len(data):
            # RFC 3416 §4.2.3 leaves no room for an empty answer (tooBig is the way to say
            # "too much"): ask once with GETNEXT whether the columns really ended, so that
            # a glitching agent does not end the walk early (a truncated walk must not
            # pass for a complete one)
            return self._ask([c.next_oid for c in active], codec.GETNEXT, self._confirmed)
        self._rows(data, pos, reps, seconds, tries)

    def _confirmed(self, answer: Any, _reps: int, _seconds: float, _tries: int) -> None:
        """The GETNEXT after an empty GETBULK answer: its rows, or the walk is incomplete."""
        response, data, pos = answer
        if response.error_status or len(self._starts(data, pos)) != len(self.active):
            raise SnmpMalformed(
                f"{self.ch.target.address} sent an empty answer to a GETBULK and no usable "
                "GETNEXT answer: the walk is incomplete"
            )
        self._rows(data, pos, 0, 0.0, 1)

    def _rows(self, data: bytes, pos: int, reps: int, seconds: float, tries: int) -> None:
        """Send the next request where the rows say the columns go on, then take them."""
        active = self.active
        runs = uniform(data, pos, active[0].prefix) if len(active) == 1 else None
        if runs is not None:  # one column, rows all alike: it goes on after the last
            guess: list[bytes] | None = [runs[-1][0] + runs[-1][1][-1:]]
            count = sum(len(run[1]) for run in runs)
        else:
            starts = self._starts(data, pos)
            guess, count = _next_oids(active, data, starts), len(starts)
        if reps:
            self.reps.answered(seconds, tries, reps, len(active), count if guess else -1)
        if guess is not None:  # the agent works on it while we decode
            self._ask(guess)
        if runs is not None:
            for run in runs:
                active[0].keep(data, run)
        else:
            self.active = _consume(active, data, starts)
        self._next(guess)

    def _starts(self, data: bytes, pos: int) -> list[int]:
        """varbind_starts, its error naming the agent."""
        try:
            return varbind_starts(data, pos)
        except SnmpMalformed as exc:
            raise SnmpMalformed(f"bad answer from {self.ch.target.address}: {exc}") from None

    def _next(self, sent: list[bytes] | None) -> None:
        """Ask where the columns continue, unless ``sent`` asked just that; or end."""
        if not self.active:
            self.stop()
            self.finished.set_result(None)
        elif sent is None or sent != [c.next_oid for c in self.active]:
            self.stop()  # a guess that a column then proved wrong: asked again
            self._ask([c.next_oid for c in self.active])


def _next_oids(active: list[Column], data: bytes, starts: list[int]) -> list[bytes] | None:
    """Where each column continues after this answer, if all go on (None: some may end)."""
    width, count, oids = len(active), len(starts), []
    for i, column in enumerate(active):
        if i >= count:
            oids.append(column.next_oid)
            continue
        oid, tag, _ = varbind_at(data, starts[i + (count - 1 - i) // width * width])
        if tag in END_TAGS or not oid.startswith(column.prefix) or len(oid) == len(column.prefix):
            return None
        oids.append(oid)
    return oids


def _consume(active: list[Column], data: bytes, starts: list[int]) -> list[Column]:
    """Hand each column its answers; the still-running columns.

    GETBULK answers come row by row, one per requested column (RFC 3416 §4.2.3); an agent
    may cut the list anywhere, so a column missing from a short answer just asks again.
    """
    width = len(active)
    if width == 1:
        return active if active[0].take(data, starts) else []
    return [c for i, c in enumerate(active) if c.take(data, starts[i::width])]
