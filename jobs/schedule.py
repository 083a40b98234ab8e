"""Schedules: when a job runs next (interval or 5-field cron in the configured time zone)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from webapp.validators import interval_seconds

UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def next_run(
    interval: str | None,
    cron: str | None,
    after: datetime,
    tz: str,
    slot: datetime | None = None,
) -> datetime:
    """The first slot strictly after `after` (aware UTC in, aware UTC out).

    An interval counts from `slot`, the slot just run, when there is one: a job every 5
    minutes due at 10:00:00 and dispatched at 10:00:07 runs next at 10:05:00, not 10:05:07,
    so it never drifts; slots missed meanwhile are skipped, not replayed.
    """
    if interval:
        step = timedelta(seconds=interval_seconds(interval))
        if slot is None or slot > after:
            return after + step
        return slot + step * ((after - slot) // step + 1)
    if not cron:
        raise ValueError("a job needs an interval or a cron expression")
    local = after.astimezone(ZoneInfo(tz))
    # croniter works on the local wall clock, so "0 8 * * *" is 08:00 in the NOC's zone.
    return croniter(cron, local).get_next(datetime).astimezone(after.tzinfo)


def describe(interval: str | None, cron: str | None) -> str:
    """The schedule in words: "every 5 minutes", "cron 0 8 * * 1"."""
    if interval:
        seconds = interval_seconds(interval)
        for unit_seconds, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
            if seconds % unit_seconds == 0:
                n = seconds // unit_seconds
                return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    if cron:
        return _describe_cron(cron)
    return "manual only"


def _describe_cron(cron: str) -> str:
    minute, hour, dom, month, dow = cron.split()
    if (hour, dom, month, dow) == ("*", "*", "*", "*") and minute.startswith("*/"):
        return f"every {minute[2:]} minutes"
    if (minute, hour, dom, month, dow) == ("0", "*", "*", "*", "*"):
        return "every hour"
    if minute.isdigit() and hour.isdigit() and (dom, month) == ("*", "*"):
        at = f"{int(hour):02d}:{int(minute):02d}"
        if dow == "*":
            return f"every day at {at}"
        days = "Sun Mon Tue Wed Thu Fri Sat Sun".split()
        if dow.isdigit() and int(dow) <= 7:
            return f"every {days[int(dow)]} at {at}"
    return f"cron {cron}"


def until(when: datetime | None, now: datetime) -> str:
    """Time until `when`: "in 4m 10s", "due now", "not scheduled"."""
    if when is None:
        return "not scheduled"
    seconds = int((when - now).total_seconds())
    if seconds <= 0:
        return "due now"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{u}" for n, u in parts if n][:2]
    return "in " + " ".join(shown)
