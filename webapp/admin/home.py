"""The admin home page: a dashboard of the last 24 hours, the queue and the inventory."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from flask_admin import expose
from redis.exceptions import RedisError
from sqlalchemy import case, func, select

from jobs import ops
from webapp.admin.base import StaffIndexView, local_time
from webapp.extensions import db
from webapp.models import Alarm, Execution, Olt, Onu, SnmpJob
from webapp.models.base import utcnow
from webapp.models.executions import STATUSES

ONU_COUNTS_TTL_S = 60


def _per_olt(since) -> tuple[list, list]:
    """The slowest OLTs (mean duration) and the most failing ones, last 24 h."""
    rows = db.session.execute(
        select(
            Execution.olt_name,
            func.avg(Execution.duration_ms),
            func.count(),
            func.sum(case((Execution.status == "FAILED", 1), else_=0)),
        )
        .where(Execution.created_at >= since, Execution.duration_ms.is_not(None))
        .group_by(Execution.olt_name)
    ).all()
    slowest = sorted(rows, key=lambda r: -(r[1] or 0))[:5]
    failing = sorted((r for r in rows if r[3]), key=lambda r: -r[3])[:5]
    return slowest, failing


def onus_per_olt() -> list:
    """ONUs present and absent per OLT, counted at most once a minute by each process.

    This reads the whole inventory (a million rows at an ISP's size: a quarter of a second),
    so the page shows a count up to ONU_COUNTS_TTL_S old rather than count on every view.
    The cache lives on the app (one per test app), not in a global.
    """
    cache = current_app.extensions.setdefault("oltwatch_home_onus", {})
    now = time.monotonic()
    if cache.get("until", 0) > now:
        return cache["rows"]
    per_olt = (
        select(
            Onu.olt_id,
            func.sum(case((Onu.present.is_(True), 1), else_=0)).label("present"),
            func.sum(case((Onu.present.is_(False), 1), else_=0)).label("absent"),
        )
        .group_by(Onu.olt_id)  # by id, then the names: the (olt_id, present) index alone
        .subquery()
    )
    rows = db.session.execute(
        select(Olt.name, per_olt.c.present, per_olt.c.absent)
        .join(per_olt, per_olt.c.olt_id == Olt.id)
        .order_by(Olt.name)
    ).all()
    cache.update(rows=rows, until=now + ONU_COUNTS_TTL_S)
    return rows


def _queue() -> dict | None:
    try:
        return {
            "queues": ops.queues_status(),
            "workers": ops.workers_status(),
            "scheduler": ops.scheduler_status(),
        }
    except RedisError:
        return None


def _active_alarms() -> dict:
    """Active alarms by severity, and the newest ones that are not part of an outage."""
    counts = dict(
        db.session.execute(
            select(Alarm.severity, func.count())
            .where(Alarm.status == "active")
            .group_by(Alarm.severity)
        ).all()
    )
    latest = db.session.scalars(
        select(Alarm)
        .where(Alarm.status == "active", Alarm.parent_id.is_(None))
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(12)
    ).all()
    return {"counts": counts, "latest": latest}


class HomeView(StaffIndexView):
    """Counts and success rate, queue and workers, slow and failing OLTs, ONUs per OLT."""

    @expose("/")
    def index(self):
        since = utcnow() - timedelta(hours=24)
        counts = ops.executions_24h()["by_status"]
        finished = counts.get("SUCCESS", 0) + counts.get("FAILED", 0)
        slowest, failing = _per_olt(since)
        return self.render(
            "admin/home.html",
            since_local=local_time(since),
            counts={s: counts.get(s, 0) for s in STATUSES},
            success_rate=round(100 * counts.get("SUCCESS", 0) / finished, 1) if finished else None,
            latest=db.session.scalars(select(Execution).order_by(Execution.id.desc()).limit(15)),
            totals={
                "jobs": db.session.scalar(select(func.count()).select_from(SnmpJob)),
                "olts": db.session.scalar(select(func.count()).select_from(Olt)),
            },
            slowest=slowest,
            failing=failing,
            onus=onus_per_olt(),
            queue=_queue(),
            alarms=_active_alarms(),
        )
