"""Events: what changed about an ONU between two polls, as the store step sees it.

``detect`` is pure (what the ONU was, what the poll saw, which states mean online, the rx
thresholds); ``record`` writes the events in the store step's transaction. Kinds:
appeared, absent, reappeared, offline (with the cause the OLT gives: the state's label such
as LOS or dying gasp, and the last down cause where the vendor has it), online, moved (its
serial now at another position), swapped (another serial at its position), and rx level
changes (rx_low, rx_critical, rx_overload, rx_normal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from webapp.models.history import OnuEvent

CHUNK = 500
KINDS = (
    "appeared",
    "absent",
    "reappeared",
    "offline",
    "online",
    "moved",
    "swapped",
    "rx_low",
    "rx_critical",
    "rx_overload",
    "rx_normal",
)
MISSING = object()  # an attribute this poll did not read (as opposed to read as empty)


@dataclass(frozen=True)
class Thresholds:
    """ONU rx levels in dBm: below warning is low, below critical is critical."""

    warning: float = -27.0
    critical: float = -30.0
    overload: float = -8.0

    def level(self, rx: float | None) -> str | None:
        """normal, low, critical or overload; None without a reading."""
        if rx is None:
            return None
        if rx < self.critical:
            return "critical"
        if rx < self.warning:
            return "low"
        if rx > self.overload:
            return "overload"
        return "normal"


@dataclass(frozen=True)
class Seen:
    """What a poll saw of one ONU (MISSING: not read by this poll)."""

    state: object = MISSING  # the state value, or None for a value the OLT did not give
    state_label: str | None = None
    serial: object = MISSING
    rx: object = MISSING
    cause: object = MISSING  # last down cause, as stored


def detect(
    was: dict, seen: Seen, online: frozenset[int], thresholds: Thresholds
) -> list[tuple[str, dict]]:
    """(kind, detail) of every change between what an ONU was and what a poll saw of it."""
    out: list[tuple[str, dict]] = []
    if not was.get("present", True):
        out.append(("reappeared", {}))
    old_state = was.get("state_value")
    if seen.state is not MISSING and online and seen.state != old_state:
        before, now = old_state in online, seen.state in online
        if before and not now:
            detail = {"state": seen.state_label or seen.state}
            if seen.cause is not MISSING and seen.cause:
                detail["cause"] = seen.cause
            out.append(("offline", detail))
        elif now and not before and old_state is not None:
            out.append(("online", {"state": seen.state_label or seen.state}))
    old_serial = was.get("serial")
    if seen.serial not in (MISSING, None, "") and old_serial and seen.serial != old_serial:
        out.append(("swapped", {"from": old_serial, "to": seen.serial}))
    if seen.rx is not MISSING and seen.rx is not None:
        before = thresholds.level(was.get("rx_power_dbm"))
        now = thresholds.level(seen.rx)
        if before is not None and now != before:
            out.append((f"rx_{now}", {"rx_dbm": seen.rx, "was_dbm": was.get("rx_power_dbm")}))
    return out


def pon_of(frame: int | None, slot: int | None, port: int | None) -> str | None:
    """The PON as a NOC names it ("0/1/3"), where the position has one."""
    if slot is None or port is None:
        return None
    return f"{frame if frame is not None else 0}/{slot}/{port}"


def record(
    session: Session,
    olt_id: int,
    execution_id: int | None,
    at: datetime,
    events: Iterable[tuple[int | None, str, str | None, str, dict]],
) -> int:
    """Write (onu id, position, pon, kind, detail) events; return how many."""
    rows = [
        dict(
            olt_id=olt_id,
            onu_id=onu_id,
            execution_id=execution_id,
            at=at,
            position=position[:100],
            pon=pon,
            kind=kind,
            detail=detail or {},
        )
        for onu_id, position, pon, kind, detail in events
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(OnuEvent), rows[start : start + CHUNK])
    return len(rows)
