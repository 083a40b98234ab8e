"""Housekeeping on the scheduler: delete executions older than the retention, in batches."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from history import alarms as alarm_rules
from history import rollup
from jobs.queues import get_redis
from webapp.extensions import db
from webapp.models import Alarm, Execution, Onu
from webapp.models.base import utcnow
from webapp.models.executions import TERMINAL

log = logging.getLogger(__name__)
BATCH = 500
MAX_BATCHES = 20  # per call: a big backlog is worked off over several ticks, not in one
HOURLY_KEY = "oltwatch:housekeeping:last"
HISTORY_KEY = "oltwatch:housekeeping:history"


def purge_old_executions(now: datetime | None = None) -> int:
    """Delete finished executions older than RETENTION_DAYS; ONUs keep their data (SET NULL)."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["RETENTION_DAYS"])
    deleted = 0
    for _ in range(MAX_BATCHES):
        ids = db.session.scalars(
            select(Execution.id)
            .where(Execution.created_at < cutoff, Execution.status.in_(TERMINAL))
            .order_by(Execution.id)
            .limit(BATCH)
        ).all()
        if not ids:
            break
        db.session.execute(  # what a foreign key's ON DELETE SET NULL would do (no key: 0007)
            update(Onu)
            .where(Onu.last_execution_id.in_(ids))
            .values(last_execution_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(delete(Execution).where(Execution.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
    if deleted:
        log.info("deleted %d executions older than %s", deleted, cutoff.date())
    return deleted


def hourly(now: datetime | None = None) -> int | None:
    """Run the purge at most once an hour across all schedulers (a Redis key with a TTL)."""
    redis = get_redis(current_app.config["REDIS_URL"])
    if not redis.set(HOURLY_KEY, (now or utcnow()).isoformat(), nx=True, ex=3600):
        return None
    return purge_old_executions(now)


def history(now: datetime | None = None) -> dict | None:
    """Roll ONU samples up and purge them, at most once a minute across all schedulers.

    A bounded number of periods per run, so that a backlog (a scheduler that was down for a
    day) is worked off over several ticks instead of holding one tick for minutes.
    """
    redis = get_redis(current_app.config["REDIS_URL"])
    if not redis.set(HISTORY_KEY, (now or utcnow()).isoformat(), nx=True, ex=60):
        return None
    cfg = current_app.config
    keep = rollup.Retention(
        cfg["HISTORY_RAW_DAYS"], cfg["HISTORY_HOURLY_DAYS"], cfg["HISTORY_DAILY_DAYS"]
    )
    report = rollup.rollup(db.session, now or utcnow(), keep)
    if any(report.values()):
        log.info("history: %s", report)
    return report


def alarms_due(now: datetime | None = None) -> dict:
    """Raise pending alarms that are due, queue their notifications, enqueue deliveries."""
    from jobs import notify
    from jobs.onu_history import olt_rules

    now = now or utcnow()
    raised = alarm_rules.raise_due(db.session, now, lambda olt: olt_rules(olt).offline_minutes)
    fresh = db.session.scalars(
        select(Alarm.olt_id)
        .where(
            Alarm.status == alarm_rules.ACTIVE,
            Alarm.notified_at.is_(None),
            Alarm.parent_id.is_(None),
        )
        .distinct()
    ).all()
    queued = sum(
        alarm_rules.queue_notifications(db.session, olt, now, olt_rules(olt)) for olt in fresh
    )
    db.session.commit()
    return {"raised": raised, "queued": queued, "enqueued": notify.enqueue_pending()}
