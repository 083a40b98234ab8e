"""Multi-column walks over snmp.fast channels: GETBULK (GETNEXT on v1), driven by the answers.

Each answer is handled in the channel's callback as soon as it is read: the next request
goes out before the rows are decoded (the agent works while we decode), and no task wakes
up per round trip (issue 11: asyncio's wake-up was most of a round trip's cost).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from snmp import adapt, codec
from snmp._pysnmp import status_error
from snmp.codec import END_TAGS, VarBind
from snmp.column import Column
from snmp.errors import SnmpError, SnmpMalformed
from snmp.fast import Callback, Channel, _what, channel, too_much_data

if TYPE_CHECKING:
    from snmp.client import Target

log = logging.getLogger(__name__)
_TOO_BIG, _NO_SUCH_NAME = 1, 2  # errorStatus values, RFC 3416 §3 / RFC 1157 §4.1.1
Varbinds = list[tuple[bytes, int, bytes]]


async def walk_columns(target: Target, columns: Sequence[str]) -> dict[str, list[VarBind]]:
    """Walk several columns together (GETBULK, GETNEXT for v1); each ends on its own."""
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
        async with channel(target) as ch:
            walk = _Walk(ch, list(state.values()), reps)
            try:
                await walk.start()
            finally:
                walk.stop()
    except MemoryError:
        state.clear()  # the rows go first: raising needs a little memory too
        raise SnmpError(
            f"ran out of memory walking {_what(list(columns))} on {target.address}"
        ) from None
    finally:
        if stats is not None:
            stats.learned[target.address] = reps.value
    for column in state.values():
        log.debug("walked %s on %s: %d rows", column.name, target.address, len(column.rows))
    log.debug("walk on %s: %d octets of answers", target.address, ch.received)
    return {name: column.rows for name, column in state.items()}


class _Walk:
    """Request rounds until every column has ended; ``start()`` is the future of the end."""

    def __init__(self, ch: Channel, active: list[Column], reps: adapt.Repetitions) -> None:
        self.ch, self.active, self.reps = ch, active, reps
        self.v1 = ch.target.version == "1"
        self.pdu = codec.GETNEXT if self.v1 else codec.GETBULK
        self.pending: tuple[int, list[bytes]] | None = None  # request-id, OIDs asked
        self.finished: Any = None

    def start(self) -> Any:
        """Send the first request; the future that ends with the walk."""
        self.finished = asyncio.get_running_loop().create_future()
        self._ask([c.next_oid for c in self.active])
        return self.finished

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
        self.pending = self.ch.send(pdu, oids, reps, waiter), oids

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
        status, index = answer.error_status, answer.error_index
        if status == _NO_SUCH_NAME and self.v1:  # RFC 1157 §4.1.3: column past the MIB view
            valid = 0 < index <= len(active)
            self.active = [c for i, c in enumerate(active) if i != index - 1] if valid else []
            return self._next(None)
        if status == _TOO_BIG and not self.v1 and self.reps.too_big(reps):
            return self._next(None)  # RFC 3416 §4.2.3: ask for fewer repetitions
        if status:
            raise status_error(ch.target, status, index, [c.name for c in active])
        if not answer.varbinds:
            # RFC 3416 §4.2.3 leaves no room for an empty answer (tooBig is the way to say
            # "too much"): ask once with GETNEXT whether the columns really ended, so that
            # a glitching agent does not end the walk early (a truncated walk must not
            # pass for a complete one)
            return self._ask([c.next_oid for c in active], codec.GETNEXT, self._confirmed)
        self._rows(answer.varbinds, reps, seconds, tries)

    def _confirmed(self, answer: Any, _reps: int, _seconds: float, _tries: int) -> None:
        """The GETNEXT after an empty GETBULK answer: its rows, or the walk is incomplete."""
        if answer.error_status or len(answer.varbinds) != len(self.active):
            raise SnmpMalformed(
                f"{self.ch.target.address} sent an empty answer to a GETBULK and no usable "
                "GETNEXT answer: the walk is incomplete"
            )
        self._rows(answer.varbinds, 0, 0.0, 1)

    def _rows(self, varbinds: Varbinds, reps: int, seconds: float, tries: int) -> None:
        """Send the next request where the rows say the columns go on, then take them."""
        active = self.active
        guess = _next_oids(active, varbinds)
        if reps:
            got = len(varbinds) if guess is not None else -1
            self.reps.answered(seconds, tries, reps, len(active), got)
        if guess is not None:  # the agent works on it while we decode
            self._ask(guess)
        self.active = _consume(active, varbinds)
        self._next(guess)

    def _next(self, sent: list[bytes] | None) -> None:
        """Ask where the columns continue, unless ``sent`` asked just that; or end."""
        if not self.active:
            self.stop()
            self.finished.set_result(None)
        elif sent is None or sent != [c.next_oid for c in self.active]:
            self.stop()  # a guess that a column then proved wrong: asked again
            self._ask([c.next_oid for c in self.active])


def _next_oids(active: list[Column], varbinds: Varbinds) -> list[bytes] | None:
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


def _consume(active: list[Column], varbinds: Varbinds) -> list[Column]:
    """Hand each column its answers; the still-running columns.

    GETBULK answers come row by row, one per requested column (RFC 3416 §4.2.3); an agent
    may cut the list anywhere, so a column missing from a short answer just asks again.
    """
    width = len(active)
    if width == 1:
        return active if active[0].take(varbinds) else []
    return [c for i, c in enumerate(active) if c.take(varbinds[i::width])]
