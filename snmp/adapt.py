"""GETBULK max-repetitions adapted to how the agent answers, and the figures of what was used.

Real OLT agents are slow and differ by firmware (issue 11): a fixed max-repetitions is either
too small for a fast agent (a round trip per 25 rows) or too large for a slow one (answers
that take longer than the timeout, then resends). A walk starts at the configured value,
grows while answers come fast and whole, and shrinks on tooBig, on truncated answers and on
slow ones (or resends).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

FLOOR, CEILING = 5, 100  # bounds of adaptation, widened to the configured value if outside
FAST, SLOW = 0.05, 0.25  # answer time over the timeout: below FAST grows, above SLOW shrinks
GROWTH = 1.5  # per fast and whole answer: 25 -> 100 in four round trips


@dataclass
class BulkStats:
    """The max-repetitions the GETBULK walks of one run used, for its summary."""

    configured: int = 0
    least: int = 0
    most: int = 0
    last: int = 0
    requests: int = 0
    too_big: int = 0
    truncated: int = 0
    slow: int = 0
    walks: int = 0
    learned: dict[str, int] = field(default_factory=dict, repr=False)  # address -> last value

    def used(self, value: int) -> None:
        """Count one GETBULK asking for ``value`` repetitions."""
        self.requests += 1
        self.least = min(self.least, value) if self.least else value
        self.most = max(self.most, value)
        self.last = value

    def as_dict(self) -> dict[str, object]:
        """The figures as a job summary shows them (empty when no GETBULK was sent)."""
        if not self.requests:
            return {}
        out: dict[str, object] = {
            "configured": self.configured,
            "used": self.last if self.least == self.most else f"{self.least}-{self.most}",
            "last": self.last,
            "requests": self.requests,
        }
        for name in ("too_big", "truncated", "slow"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


_CURRENT: ContextVar[BulkStats | None] = ContextVar("snmp_bulk_stats", default=None)


@contextmanager
def bulk_stats() -> Iterator[BulkStats]:
    """Collect the max-repetitions of the walks run inside; each starts where the last ended.

    A context variable, so walks in asyncio.run() (which copies the context) report here too.
    """
    stats = BulkStats()
    token = _CURRENT.set(stats)
    try:
        yield stats
    finally:
        _CURRENT.reset(token)


class Repetitions:
    """max-repetitions for the next GETBULK of one walk; a pure rule, fed what answers did.

    ``value`` stays within [floor, ceiling] except after tooBig, which may take it to 1 (a
    row that does not fit is an error only when one repetition does not fit either).
    """

    def __init__(
        self,
        configured: int,
        timeout: float,
        *,
        adaptive: bool = True,
        start: int | None = None,
        stats: BulkStats | None = None,
    ) -> None:
        self.floor, self.ceiling = min(FLOOR, configured), max(CEILING, configured)
        self.cap = self.ceiling  # lowered by tooBig and truncated answers
        self.value = configured if start is None or not adaptive else start
        self.adaptive, self.timeout = adaptive, timeout
        self.stats = stats if stats is not None else BulkStats()
        self.stats.configured = self.stats.configured or configured
        self.stats.walks += 1

    def too_big(self, asked: int) -> bool:
        """A request for ``asked`` repetitions was tooBig: ask for half (False when it asked
        for one already: nothing smaller to ask)."""
        self.stats.too_big += 1
        if asked <= 1:
            return False
        # never back above 3/4 of a refused size: growth must not keep running into it
        self.cap = max(1, asked * 3 // 4)
        self.value = min(self.value, asked // 2)
        return True

    def answered(self, seconds: float, tries: int, asked: int, width: int, got: int) -> None:
        """An answer to ``asked`` repetitions of ``width`` columns came after ``seconds`` and
        ``tries`` sends with ``got`` varbinds (-1: some column ended in it)."""
        slow = tries > 1 or seconds > SLOW * self.timeout
        truncated = 0 <= got < asked * width
        self.stats.slow += slow
        self.stats.truncated += truncated
        if not self.adaptive:
            return
        if truncated:  # the agent caps its answers (net-snmp's maxGetbulkResponses, a size)
            self.cap = max(1, math.ceil(got / width))
            self.value = min(self.value, self.cap)
        if slow:
            self.value = max(min(self.floor, self.value), self.value // 2)
        elif not truncated and got >= 0 and seconds < FAST * self.timeout:
            self.value = min(self.cap, max(self.value + 1, int(self.value * GROWTH)))


def current() -> BulkStats | None:
    """The BulkStats of the enclosing bulk_stats() block, if any."""
    return _CURRENT.get()
