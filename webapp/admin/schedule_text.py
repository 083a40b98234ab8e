"""A job's schedule and its next run in the reader's language (jobs.schedule.describe keeps
the English words scripts read in the CLI's JSON)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_timedelta, gettext, ngettext

from webapp.validators import interval_seconds

UNITS = (
    (86400, lambda n: ngettext("every day", "every %(num)d days", n)),
    (3600, lambda n: ngettext("every hour", "every %(num)d hours", n)),
    (60, lambda n: ngettext("every minute", "every %(num)d minutes", n)),
    (1, lambda n: ngettext("every second", "every %(num)d seconds", n)),
)


def schedule_words(interval: str | None, cron: str | None) -> str:
    """ "every 5 minutes" / "cada 5 minutos", "every day at 03:00", "cron 0 8 1 * *"."""
    if interval:
        seconds = interval_seconds(interval)
        for size, words in UNITS:
            if seconds % size == 0:
                return words(seconds // size)
    if cron:
        return _cron_words(cron)
    return gettext("manual only")


def _cron_words(cron: str) -> str:
    minute, hour, dom, month, dow = cron.split()
    if (hour, dom, month, dow) == ("*", "*", "*", "*") and minute.startswith("*/"):
        step = minute[2:]
        if step.isdigit():
            return ngettext("every minute", "every %(num)d minutes", int(step))
    if (minute, hour, dom, month, dow) == ("0", "*", "*", "*", "*"):
        return ngettext("every hour", "every %(num)d hours", 1)
    if minute.isdigit() and hour.isdigit() and (dom, month) == ("*", "*"):
        at = f"{int(hour):02d}:{int(minute):02d}"
        if dow == "*":
            return gettext("every day at %(time)s", time=at)
        days = (
            gettext("Sunday"), gettext("Monday"), gettext("Tuesday"), gettext("Wednesday"),
            gettext("Thursday"), gettext("Friday"), gettext("Saturday"), gettext("Sunday"),
        )  # fmt: skip
        if dow.isdigit() and int(dow) <= 7:
            return gettext("every %(day)s at %(time)s", day=days[int(dow)], time=at)
    return gettext("cron %(expression)s", expression=cron)


def time_until(when: datetime | None, now: datetime) -> str:
    """ "in 5 minutes" / "dentro de 5 minutos" (Babel's words), or "due now"."""
    if when is None:
        return gettext("not scheduled")
    delta = when - now
    if delta.total_seconds() <= 0:
        return gettext("due now")
    return format_timedelta(delta, granularity="second", threshold=1.5, add_direction=True)
