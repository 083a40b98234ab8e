"""Housekeeping on the scheduler: delete executions older than the retention, in batches."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from jobs.queues import get_redis
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow
from webapp.models.executions import TERMINAL

log = logging.getLogger(__name__)
BATCH = 500
MAX_BATCHES = 20  # per call: a big backlog is worked off over several ticks, not in one
HOURLY_KEY = "oltwatch:housekeeping:last"


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
