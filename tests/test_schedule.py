"""Schedules in the NOC's time zone (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.schedule import describe, next_run, until

LIMA = "America/Lima"  # UTC-5, no daylight saving


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_interval_counts_from_the_given_time():
    assert next_run("5m", None, utc(2026, 1, 1, 10, 0, 7), LIMA) == utc(2026, 1, 1, 10, 5, 7)
    assert next_run("1d", None, utc(2026, 1, 1), LIMA) == utc(2026, 1, 2)


def test_an_interval_keeps_its_slots():
    slot = utc(2026, 1, 1, 10, 0, 0)
    late = utc(2026, 1, 1, 10, 0, 7)  # the tick that ran it came 7 s after its slot
    assert next_run("5m", None, late, LIMA, slot=slot) == utc(2026, 1, 1, 10, 5, 0)
    on_time = utc(2026, 1, 1, 10, 0, 0)
    assert next_run("5m", None, on_time, LIMA, slot=slot) == utc(2026, 1, 1, 10, 5, 0)
    down = utc(2026, 1, 1, 10, 12, 30)  # the scheduler was down: 10:05 and 10:10 are missed
    assert next_run("5m", None, down, LIMA, slot=slot) == utc(2026, 1, 1, 10, 15, 0)
    exactly = utc(2026, 1, 1, 10, 10, 0)  # strictly after: a slot equal to now is past
    assert next_run("5m", None, exactly, LIMA, slot=slot) == utc(2026, 1, 1, 10, 15, 0)


def test_cron_is_read_in_the_configured_time_zone():
    # 08:00 in Lima is 13:00 UTC
    assert next_run(None, "0 8 * * *", utc(2026, 1, 1, 12, 0), LIMA) == utc(2026, 1, 1, 13, 0)
    assert next_run(None, "0 8 * * *", utc(2026, 1, 1, 13, 0), LIMA) == utc(2026, 1, 2, 13, 0)
    assert next_run(None, "0 8 * * *", utc(2026, 1, 1, 12, 0), "UTC") == utc(2026, 1, 2, 8, 0)


def test_no_schedule_is_an_error():
    with pytest.raises(ValueError):
        next_run(None, None, utc(2026, 1, 1), LIMA)


@pytest.mark.parametrize(
    "interval,cron,text",
    [
        ("30s", None, "every 30 seconds"),
        ("5m", None, "every 5 minutes"),
        ("1h", None, "every hour"),
        ("90m", None, "every 90 minutes"),
        ("2d", None, "every 2 days"),
        (None, "*/15 * * * *", "every 15 minutes"),
        (None, "0 * * * *", "every hour"),
        (None, "0 8 * * *", "every day at 08:00"),
        (None, "30 7 * * 1", "every Mon at 07:30"),
        (None, "5 4 1 * *", "cron 5 4 1 * *"),
        (None, None, "manual only"),
    ],
)
def test_schedule_in_words(interval, cron, text):
    assert describe(interval, cron) == text


def test_time_until():
    now = utc(2026, 1, 1)
    assert until(now + timedelta(seconds=250), now) == "in 4m 10s"
    assert until(now + timedelta(hours=2, minutes=5, seconds=9), now) == "in 2h 5m"
    assert until(now + timedelta(days=1, hours=3), now) == "in 1d 3h"
    assert until(now - timedelta(seconds=1), now) == "due now"
    assert until(None, now) == "not scheduled"
