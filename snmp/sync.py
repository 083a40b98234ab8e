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
import struct
import sys
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


# Linux: the socket stays blocking and the kernel times its reads out (SO_RCVTIMEO, a struct
# timeval of two longs), so a round trip is one send() and one recv(). socket.settimeout()
# instead makes every call an ioctl(FIONBIO) plus a poll() before each send and each recv:
# five system calls a round trip where net-snmp's snmpbulkwalk makes four (strace, issue 11).
_RCVTIMEO = sys.platform.startswith("linux")


class SyncChannel(Channel):
    """A Channel whose answers are read by ``run`` from a blocking socket."""

    def __init__(self, target: Target, sock: socket.socket) -> None:
        super().__init__(target)
        self.sock, self.due = sock, math.inf  # due: the nearest deadline, maybe stale-early
        self.limit = 0.0  # the socket's read timeout now (0: none set yet)

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
        recv, limit = sock.recv, self._limit if _RCVTIMEO else sock.settimeout
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
            limit(min(self.due, next_check) - now)
            try:
                data = recv(_DATAGRAM_MAX)
            except (BlockingIOError, TimeoutError):  # SO_RCVTIMEO's EAGAIN; settimeout's
                continue
            except OSError as exc:  # ICMP port unreachable: ECONNREFUSED on the next read
                self.error_received(exc)
                continue
            receive(data, None)  # a connected socket gets the agent's datagrams only
        finished.result()

    def _limit(self, seconds: float) -> None:
        """Have the next recv() wait at most ``seconds`` (> 0), often without a system call.

        The timeout set is ``seconds`` rounded down to a power of two (of seconds), changed
        only when that power changes: a read may end early, never late, and the walk then
        just looks at the clock again. A 5 s timeout sets it once or twice per walk; a
        ``check`` every 0.2 s some eight times per 0.2 s. (The kernel counts it in jiffies,
        rounded up: a wait of a few milliseconds may last one jiffy, as poll() rounds up to
        a millisecond.)
        """
        seconds = min(seconds, 3600.0)  # an hour at most: the loop comes back and waits again
        if self.limit <= seconds < 2 * self.limit:
            return
        wait = 2.0 ** math.floor(math.log2(seconds))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(wait))
        self.limit = wait


def _timeval(seconds: float) -> bytes:
    """A struct timeval of ``seconds`` (> 0; never 0, which means "no timeout")."""
    whole = int(seconds)
    micro = int((seconds - whole) * 1e6)  # < 10**6
    return struct.pack("@ll", whole, micro if whole or micro else 1)


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
        if sock.gettimeout() is not None:  # socket.setdefaulttimeout() was called
            sock.settimeout(None)  # blocking: SyncChannel.run times the reads
        if _RCVTIMEO:  # a send never blocks longer than a request may wait for its answer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(target.timeout))
        gc.disable()
        yield SyncChannel(target, sock)
    finally:
        sock.close()
        if collecting:
            gc.enable()
