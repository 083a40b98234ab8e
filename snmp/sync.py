"""snmp.fast's Channel on a blocking UDP socket: a walk from a job without an event loop.

A job walks one OLT at a time, so asyncio's machinery (a loop built and torn down per walk,
a selector wake-up and a callback hop per answer) was a third of a round trip's cost next
to net-snmp's C tools (issue 11). Here one thread waits in recv() on a connected socket
with the timeout of the nearest deadline; requests, answers, resends and errors go through
the very same Channel code as the async path.
"""

from __future__ import annotations

import gc
import math
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from snmp.errors import SnmpUnreachable
from snmp.fast import _DATAGRAM_MAX, _VERSIONS, Channel

if TYPE_CHECKING:
    from snmp.client import Target


class Outcome:
    """The end of a sync walk: what a Future is to the async one."""

    __slots__ = ("_done", "_error")

    def __init__(self) -> None:
        self._done, self._error = False, None

    def done(self) -> bool:
        """True once a result or an error was set."""
        return self._done

    def set_result(self, _result: Any) -> None:
        """The walk ended well."""
        self._done = True

    def set_exception(self, error: BaseException) -> None:
        """The walk failed with ``error``."""
        self._done, self._error = True, error

    def result(self) -> None:
        """Raise the walk's error, if any."""
        if self._error is not None:
            raise self._error


class SyncChannel(Channel):
    """A Channel whose answers are read by ``run`` from a blocking socket."""

    def __init__(self, target: Target, sock: socket.socket) -> None:
        super().__init__(target)
        self.sock, self.due = sock, math.inf  # due: the nearest deadline, maybe stale-early

    def clock(self) -> float:
        """time.monotonic(): deadlines without an event loop."""
        return time.monotonic()

    def transmit(self, message: bytes) -> None:
        """Send one datagram (an ICMP error of an earlier one may surface here)."""
        try:
            self.sock.send(message)
        except OSError as exc:
            self.error_received(exc)

    def _arm(self, deadline: float) -> None:
        if deadline < self.due:
            self.due = deadline

    def run(self, finished: Outcome, check: Callable[[], None] | None, every: float) -> None:
        """Read answers until ``finished``; ``check()`` every ``every`` seconds meanwhile."""
        sock, clock, receive = self.sock, time.monotonic, self.datagram_received
        recv, settimeout = sock.recv, sock.settimeout
        next_check = clock() + every if check is not None else math.inf
        while not finished.done():
            now = clock()
            if now >= next_check:
                check()  # type: ignore[misc]
                next_check = now + every
            if now >= self.due:
                soonest = self.overdue(now)
                self.due = math.inf if soonest is None else soonest
                continue  # a resend or a failure: look at the clock and ``finished`` again
            if not self.waiting:  # a walk always has a request out until it ends
                raise RuntimeError("a sync walk has nothing to wait for")
            settimeout(min(self.due, next_check) - now)
            try:
                data = recv(_DATAGRAM_MAX)
            except TimeoutError:
                continue
            except OSError as exc:  # ICMP port unreachable: ECONNREFUSED on the next read
                self.error_received(exc)
                continue
            receive(data, None)  # a connected socket gets the agent's datagrams only
        finished.result()


@contextmanager
def sync_channel(target: Target) -> Iterator[SyncChannel]:
    """A SyncChannel connected to ``target``, closed on exit; the garbage collector waits.

    A walk allocates one row object per value and no reference cycle: a collection it set
    off would only traverse the process's heap (a worker's is large) for nothing.
    """
    if target.version not in _VERSIONS:
        raise ValueError("the fast backend speaks SNMPv1/v2c only")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            target.host.strip("[]"), target.port, type=socket.SOCK_DGRAM
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:  # includes socket.gaierror
        raise SnmpUnreachable(f"cannot reach {target.address}: {exc}") from exc
    collecting = gc.isenabled()
    try:
        try:
            sock.connect(address)  # the kernel then drops datagrams from other addresses
        except OSError as exc:
            raise SnmpUnreachable(f"cannot reach {target.address}: {exc}") from exc
        gc.disable()
        yield SyncChannel(target, sock)
    finally:
        sock.close()
        if collecting:
            gc.enable()
