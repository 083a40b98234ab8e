"""Self-healing: no execution stays RUNNING or PENDING forever, no lock outlives its owner.

Runs on every scheduler tick. A RUNNING execution whose heartbeat stopped lost its worker; a
PENDING one whose RQ job vanished (Redis restarted or flushed) is enqueued again; one that is
still PENDING after PENDING_MAX_AGE is FAILED with the reason.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from jobs import metrics
from jobs.dispatch import enqueue_executions
from jobs.handover import hand_over, hand_over_idle
from jobs.lifecycle import finish_if
from jobs.locks import alive_key, clear_lock_if, forget_waiter, lock_holders, waiting
from jobs.messages import Message
from jobs.queues import get_redis
from jobs.retry import schedule_retry
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow
from webapp.models.executions import FAILED, INTERRUPTED, PENDING, RUNNING

log = logging.getLogger(__name__)


SUSPECTS_KEY = "oltwatch:reaper:no-heartbeat"  # execution id -> when first seen without one


def _lost(ex: Execution, now: datetime, job_timeout: int) -> bool:
    """End a RUNNING execution whose worker is gone (if it is still RUNNING); True if so."""
    if ex.started_at and now - ex.started_at > timedelta(seconds=job_timeout):
        ended = finish_if(ex, FAILED, error=Message("job_timeout_worker", seconds=job_timeout))
    else:
        ended = finish_if(ex, INTERRUPTED, error=Message("worker_lost"))
    if ended and ex.job_host is not None:
        ex.job_host.record_failure(ex.finished_at)
    return ended


def reap_running(redis, now: datetime) -> int:
    """RUNNING executions without a heartbeat become INTERRUPTED ("worker lost") or FAILED.

    A heartbeat missing once is only suspect: right after Redis lost its data every alive
    key is gone until the next beat recreates it, so an execution is reaped only when its
    heartbeat has stayed missing for two beat periods (then retried as the job says).
    """
    cfg = current_app.config
    since = now - timedelta(seconds=cfg["ALIVE_TTL"])
    grace = timedelta(seconds=2 * cfg["HEARTBEAT_SECONDS"])
    rows = db.session.scalars(
        select(Execution).where(Execution.status == RUNNING, Execution.started_at < since)
    ).all()
    suspects = {int(k): v.decode() for k, v in redis.hgetall(SUSPECTS_KEY).items()}
    with redis.pipeline(transaction=False) as pipe:  # one round trip, not one per execution
        for ex in rows:
            pipe.exists(alive_key(ex.id))
        alive = pipe.execute()
    missing = [ex for ex, up in zip(rows, alive, strict=True) if not up]
    lost = []
    for ex in missing:
        first = suspects.get(ex.id)
        if first is None:
            redis.hset(SUSPECTS_KEY, str(ex.id), now.isoformat())
        elif now - datetime.fromisoformat(first) >= grace and _lost(ex, now, cfg["JOB_TIMEOUT"]):
            lost.append(ex)
            log.warning("execution %s on OLT %s: %s", ex.id, ex.olt_name, ex.error)
    db.session.commit()
    cleared = set(suspects) - {ex.id for ex in missing} | {ex.id for ex in lost}
    if cleared:
        redis.hdel(SUSPECTS_KEY, *map(str, cleared))
    for ex in lost:
        schedule_retry(ex)
    return len(lost)


OVER = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


FETCH_BATCH = 500  # RQ jobs fetched per pipeline: one round trip, a bounded reply


def _fetch_jobs(redis, job_ids: list[str]) -> list[Job | None]:
    """RQ's jobs for these ids, in order (None for a vanished one), a batch per round trip."""
    jobs: list[Job | None] = []
    for start in range(0, len(job_ids), FETCH_BATCH):
        jobs += Job.fetch_many(job_ids[start : start + FETCH_BATCH], connection=redis)
    return jobs


def _queued_ids(redis, jobs: list[Job | None]) -> set[str]:
    """Ids of the jobs waiting in the queues these QUEUED jobs came from (one LRANGE each),
    and of those a worker has just taken.

    RQ's worker moves a job it takes into the queue's intermediate list and marks it started
    only a moment later: a job there is being started, not lost, unless it has stayed there
    longer than RQ itself allows (its worker died in between: IntermediateQueue's first-seen
    mark, the one RQ's own clean-up reads, older than a minute).
    """
    origins = {
        j.origin
        for j in jobs
        if j is not None and j.origin and j.get_status(refresh=False) == JobStatus.QUEUED
    }
    ids: set[str] = set()
    for origin in sorted(origins):
        queue = Queue(origin, connection=redis)
        ids.update(queue.get_job_ids())
        taken = queue.intermediate_queue
        for job_id in taken.get_job_ids():  # a few at most: one per worker taking a job
            taken.set_first_seen(job_id)
            if not taken.should_be_cleaned_up(job_id):
                ids.add(job_id)
    return ids


def _job_lost(job: Job | None, queued: set[str], now: datetime) -> bool:
    """True when this RQ job will never run its PENDING execution.

    It vanished (Redis restarted), is over without having run it (a worker killed before
    it marked the execution RUNNING), was taken off the queue by a worker that died before
    starting it (in no queue, or in the queue's intermediate list for over a minute), or is
    "started" by a worker whose job heartbeat stopped.
    """
    if job is None:
        return True
    status = job.get_status(refresh=False)
    if status in OVER:
        return True
    if status == JobStatus.QUEUED:
        # Popped by a worker that died before it started the job: in no queue any more.
        return job.id not in queued
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        stale = timedelta(seconds=2 * current_app.config["ALIVE_TTL"] + 60)
        return beat is not None and now - beat.replace(tzinfo=UTC) > stale
    return False


def _rq_jobs_lost(redis, pending: list[tuple[int, str | None]], now: datetime) -> list[int]:
    """Ids of the PENDING executions, given as (id, RQ job id), that nothing in RQ will ever
    run (their RQ jobs fetched in batches, not one round trip per execution)."""
    with_job = [(ex_id, rq_id) for ex_id, rq_id in pending if rq_id]
    jobs = _fetch_jobs(redis, [rq_id for _, rq_id in with_job])
    queued = _queued_ids(redis, jobs)
    lost = [ex_id for ex_id, rq_id in pending if not rq_id]
    lost += [
        ex_id for (ex_id, _), job in zip(with_job, jobs, strict=True) if _job_lost(job, queued, now)
    ]
    return sorted(lost)


def reap_pending(redis, now: datetime) -> tuple[int, int]:
    """Re-enqueue PENDING executions whose RQ job is gone; fail those pending far too long.

    One waiting for its OLT (its RQ job ended when it joined the OLT's waiters) is not lost:
    the OLT's holder hands it over.
    """
    cfg = current_app.config
    rows = db.session.execute(
        select(Execution.id, Execution.rq_job_id, Execution.created_at).where(
            Execution.status == PENDING,
            Execution.created_at < now - timedelta(seconds=cfg["PENDING_GRACE"]),
        )
    ).all()
    waiters = {ex_id for ids in waiting(redis).values() for ex_id in ids}
    too_old = now - timedelta(seconds=cfg["PENDING_MAX_AGE"])
    stale = [ex_id for ex_id, _, created in rows if created < too_old]
    failed = [
        ex
        for ex in _executions(stale)
        if finish_if(ex, FAILED, expect=(PENDING,), error=_never_ran(ex, ex.id in waiters))
    ]
    db.session.commit()
    for ex in failed:
        if ex.id in waiters:
            forget_waiter(redis, ex.olt_id, ex.id)
        schedule_retry(ex)
    queued = [
        (ex_id, rq_id)
        for ex_id, rq_id, created in rows
        if created >= too_old and ex_id not in waiters
    ]
    lost = _rq_jobs_lost(redis, queued, now) if queued else []
    # Read again (one query), still PENDING: one that started meanwhile is not enqueued again.
    orphans = [ex for ex in _executions(lost) if ex.status == PENDING]
    if orphans:
        log.warning("re-enqueueing %d PENDING executions whose RQ job is lost", len(orphans))
        enqueue_executions(orphans, suffix=f"-q{int(now.timestamp())}")
    return len(orphans), len(failed)


def _never_ran(ex: Execution, waited: bool) -> Message:
    max_age = current_app.config["PENDING_MAX_AGE"]
    if waited:
        holder = str((ex.summary or {}).get("lock_held_by_execution", "?"))
        return Message("olt_busy_never_ran", olt=ex.olt_name, seconds=max_age, holder=holder)
    return Message("never_ran", seconds=max_age)


def _executions(ids: list[int]) -> list[Execution]:
    """These executions, in id order, in one query."""
    if not ids:
        return []
    query = select(Execution).where(Execution.id.in_(ids)).order_by(Execution.id)
    return list(db.session.scalars(query).all())


def clear_stale_locks(redis) -> int:
    """Free OLT locks whose execution is no longer RUNNING (never a running one's)."""
    holders = lock_holders(redis)
    ids = {int(h["execution_id"]) for h in holders if h["execution_id"].isdigit()}
    query = select(Execution.id, Execution.status).where(Execution.id.in_(sorted(ids)))
    status = dict(db.session.execute(query).all()) if ids else {}  # one query, not one per lock
    cleared = 0
    for holder in holders:
        ex_id = holder["execution_id"]
        state = status.get(int(ex_id)) if ex_id.isdigit() else None
        if state == RUNNING:
            continue
        if clear_lock_if(redis, holder["olt_id"], holder["token"]):
            cleared += 1
            hand_over(redis, holder["olt_id"])
            log.warning(
                "cleared the lock of OLT %s held by execution %s (%s)",
                holder["olt_id"],
                ex_id,
                state or "unknown",
            )
    db.session.commit()
    metrics.reaper_acted(locks_cleared=cleared)
    return cleared


def release_due_scheduled(redis) -> int:
    """Move due delayed RQ jobs (lock waits, retries) to the queue.

    RQ's own scheduler runs inside one worker of the pool; when that worker dies, another
    takes over once its lock has expired (within ~90 s: OltWorker._keep_scheduler),
    and delayed executions would wait that long. Doing it here too is safe: an execution
    runs only if it is still PENDING (the runner's compare-and-set), so a job moved twice
    runs once.
    """
    queue = Queue(current_app.config["QUEUE_NAME"], connection=redis)
    registry = ScheduledJobRegistry(queue=queue)
    job_ids = registry.get_jobs_to_schedule()
    moved = 0
    for job in Job.fetch_many(job_ids, connection=redis):
        if job is not None and registry.remove(job):
            queue.enqueue_job(job)
            moved += 1
    return moved


def reap(now: datetime | None = None) -> dict:
    """One pass of every check; Redis being down is reported, not raised."""
    now = now or utcnow()
    redis = get_redis(current_app.config["REDIS_URL"])
    try:
        released = release_due_scheduled(redis)
        lost = reap_running(redis, now)
        requeued, failed = reap_pending(redis, now)
        handed = hand_over_idle(redis)
    except RedisError as exc:
        log.error("reaper: Redis unavailable: %s", exc)
        return {"error": str(exc)}
    report = {
        "lost": lost,
        "requeued": requeued,
        "failed_pending": failed,
        "released": released,
        "handed_over": handed,
    }
    metrics.reaper_acted(**report)
    return report
