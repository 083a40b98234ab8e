"""What an operator asks: the state of Redis, queues, workers, scheduler, locks, executions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq import Queue, Worker
from rq.command import send_shutdown_command
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from jobs.locks import lock_holders
from jobs.queues import get_redis
from jobs.scheduler import CONTROL, LAST_TICK_KEY
from webapp.extensions import db
from webapp.models import Execution, SnmpJob
from webapp.models.base import utcnow
from webapp.models.executions import PENDING


def queue_names() -> tuple[str, str]:
    """The queues oltwatch uses: executions (QUEUE_NAME) and the scheduler's control queue."""
    return (current_app.config["QUEUE_NAME"], CONTROL)


_EXECUTION_ID = re.compile(r"^execution-(\d+)")


def execution_of(rq_job_id: str | None) -> int | None:
    """The execution id an RQ job id belongs to ("execution-12-r3" -> 12)."""
    m = _EXECUTION_ID.match(rq_job_id or "")
    return int(m.group(1)) if m else None


def redis_status() -> dict:
    """Redis version and memory (raises RedisError when unreachable)."""
    info = get_redis(current_app.config["REDIS_URL"]).info()
    return {"version": info.get("redis_version"), "used_memory": info.get("used_memory_human")}


def queues_status() -> dict:
    """Per queue: queued, running, scheduled, failed."""
    redis = get_redis(current_app.config["REDIS_URL"])
    out = {}
    for name in queue_names():
        q = Queue(name, connection=redis)
        out[name] = {
            "queued": q.count,
            "running": StartedJobRegistry(queue=q).count,
            "scheduled": ScheduledJobRegistry(queue=q).count,
            "failed": FailedJobRegistry(queue=q).count,
        }
    return out


def workers_status() -> list[dict]:
    """Every RQ worker: host, pid, state, current execution, successes, failures."""
    redis = get_redis(current_app.config["REDIS_URL"])
    rows = []
    for w in Worker.all(connection=redis):
        rows.append(
            {
                "name": w.name,
                "host": w.hostname,
                "pid": w.pid,
                "state": str(w.get_state()),
                "queues": w.queue_names(),
                "execution": execution_of(w.get_current_job_id()),
                "successes": w.successful_job_count,
                "failures": w.failed_job_count,
                "last_heartbeat": w.last_heartbeat.isoformat() if w.last_heartbeat else None,
            }
        )
    return sorted(rows, key=lambda r: r["name"])


def scheduler_status() -> dict:
    """When the scheduler last ticked, and how long ago."""
    raw = get_redis(current_app.config["REDIS_URL"]).get(LAST_TICK_KEY)
    if not raw:
        return {"last_tick": None, "age_s": None}
    last = datetime.fromisoformat(raw.decode())
    return {"last_tick": last.isoformat(), "age_s": round((utcnow() - last).total_seconds(), 1)}


def executions_24h() -> dict:
    """Executions created in the last 24 hours, by status; the oldest PENDING one's age."""
    since = utcnow() - timedelta(hours=24)
    counts = dict(
        db.session.execute(
            select(Execution.status, func.count())
            .where(Execution.created_at >= since)
            .group_by(Execution.status)
        ).all()
    )
    oldest = db.session.scalar(
        select(func.min(Execution.created_at)).where(Execution.status == PENDING)
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = round((utcnow() - oldest).total_seconds(), 1) if oldest else None
    return {"by_status": counts, "oldest_pending_age_s": age}


def status() -> dict:
    """Everything `manage_cli.py status` shows (RedisError/SQLAlchemyError propagate)."""
    jobs_total = db.session.scalar(select(func.count()).select_from(SnmpJob))
    jobs_enabled = db.session.scalar(
        select(func.count()).select_from(SnmpJob).where(SnmpJob.enabled.is_(True))
    )
    redis = get_redis(current_app.config["REDIS_URL"])
    workers = workers_status()
    busy = sum(1 for w in workers if w["state"] == "busy")
    ex = executions_24h()
    return {
        "redis": redis_status(),
        "queues": queues_status(),
        "workers": {"count": len(workers), "busy": busy, "idle": len(workers) - busy},
        "scheduler": scheduler_status(),
        "locks": len(lock_holders(redis)),
        "jobs": {"total": jobs_total, "enabled": jobs_enabled},
        "executions_24h": ex["by_status"],
        "oldest_pending_age_s": ex["oldest_pending_age_s"],
    }


def restart_workers() -> int:
    """Ask every worker for a warm shutdown (the pool or the supervisor starts fresh ones)."""
    redis = get_redis(current_app.config["REDIS_URL"])
    workers = Worker.all(connection=redis)
    for w in workers:
        send_shutdown_command(redis, w.name)
    return len(workers)
