"""Steering: enable/disable jobs and OLTs, cancel and re-run executions (admin and CLI)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select, update

from jobs import metrics
from jobs.dispatch import RunReport, run_jobs_now
from jobs.locks import forget_waiter
from jobs.messages import Message, columns
from jobs.queues import get_redis
from jobs.schedule import next_run
from webapp.extensions import db
from webapp.models import Execution, Olt, SnmpJob, User
from webapp.models.base import utcnow
from webapp.models.executions import INTERRUPTED, PENDING, TERMINAL

log = logging.getLogger(__name__)


def interrupt_pending(reason: str, job_ids: Iterable[int] = (), olt_ids: Iterable[int] = ()) -> int:
    """Turn the PENDING executions of these jobs or OLTs INTERRUPTED with the reason (a
    Message stores its code and parameters too)."""
    job_ids, olt_ids = list(job_ids), list(olt_ids)
    if not job_ids and not olt_ids:
        return 0
    which = Execution.job_id.in_(job_ids) if job_ids else Execution.olt_id.in_(olt_ids)
    result = db.session.execute(
        update(Execution)
        .where(which, Execution.status == PENDING)
        .values(status=INTERRUPTED, finished_at=utcnow(), **columns(reason))
    )
    return result.rowcount


def reschedule_from_now(job: SnmpJob) -> None:
    """Next run one slot from now: no catch-up after a pause or a schedule change."""
    try:
        job.next_run_at = next_run(job.interval, job.cron, utcnow(), current_app.config["TIMEZONE"])
    except ValueError:
        job.next_run_at = None


def set_jobs_enabled(job_ids: list[int], enabled: bool) -> tuple[int, int]:
    """Enable or disable jobs; return (jobs changed, executions interrupted). Commits."""
    jobs = db.session.scalars(select(SnmpJob).where(SnmpJob.id.in_(job_ids))).all()
    changed = [j for j in jobs if j.enabled != enabled]
    interrupted = 0
    for job in changed:
        job.enabled = enabled
        if enabled:
            reschedule_from_now(job)
        else:
            reason = Message("job_disabled", job=job.name)
            interrupted += interrupt_pending(reason, job_ids=[job.id])
    db.session.commit()
    return len(changed), interrupted


def set_olts_enabled(olt_ids: list[int], enabled: bool) -> tuple[int, int]:
    """Enable or disable OLTs; return (OLTs changed, executions interrupted). Commits."""
    olts = db.session.scalars(select(Olt).where(Olt.id.in_(olt_ids))).all()
    changed = [o for o in olts if o.enabled != enabled]
    interrupted = 0
    for olt in changed:
        olt.enabled = enabled
        if not enabled:
            reason = Message("olt_disabled", olt=olt.name)
            interrupted += interrupt_pending(reason, olt_ids=[olt.id])
    db.session.commit()
    return len(changed), interrupted


def cancel_executions(ids: list[int], user: User) -> int:
    """Cancel PENDING executions (INTERRUPTED, "cancelled by <user>"); commits."""
    rows = db.session.scalars(
        select(Execution).where(Execution.id.in_(ids), Execution.status == PENDING)
    ).all()
    for ex in rows:
        ex.finish(INTERRUPTED, error=Message("cancelled", user=user.username))
        metrics.execution_ended(ex)
    db.session.commit()
    redis = get_redis(current_app.config["REDIS_URL"])
    for ex in rows:
        _cancel_rq_job(ex.rq_job_id)
        if ex.olt_id is not None:
            try:
                forget_waiter(redis, ex.olt_id, ex.id)  # if it was waiting for its OLT
            except RedisError as exc:
                log.info("execution %s: not taken out of its OLT's waiters: %s", ex.id, exc)
    return len(rows)


def _cancel_rq_job(rq_job_id: str | None) -> None:
    """Best effort: the worker skips a non-PENDING execution anyway."""
    if not rq_job_id:
        return
    try:
        Job.fetch(rq_job_id, connection=get_redis(current_app.config["REDIS_URL"])).cancel()
    except (NoSuchJobError, RedisError, ValueError) as exc:
        log.info("RQ job %s not cancelled: %s", rq_job_id, exc)


def rerun_executions(ids: list[int], user: User) -> tuple[RunReport | None, int]:
    """Run again the (job, OLT) of finished executions; return the report and how many."""
    rows = db.session.scalars(
        select(Execution).where(Execution.id.in_(ids), Execution.status.in_(TERMINAL))
    ).all()
    pairs = {(ex.job_id, ex.olt_id) for ex in rows if ex.job_id and ex.olt_id}
    if not pairs:
        return None, 0
    report = run_jobs_now(sorted({j for j, _ in pairs}), user=user, olt_ids={o for _, o in pairs})
    return report, len(pairs)
