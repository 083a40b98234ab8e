"""Run SNMP jobs now: plan, create PENDING executions, commit, then enqueue them in one batch.

The admin action, `manage_cli.py run` and the scheduler all call run_jobs_now().
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from jobs import metrics
from jobs.queues import RUN_EXECUTION, get_redis, redis_describe, rq_job_id
from webapp.extensions import db
from webapp.models import Execution, JobHost, Olt, SnmpJob, User
from webapp.models.base import utcnow
from webapp.models.executions import ACTIVE, FAILED

log = logging.getLogger(__name__)

# Skip reasons, as codes (stable, for scripts) with their English text for people.
JOB_DISABLED = "job_disabled"
NO_HOSTS = "no_enabled_hosts"
HOST_DISABLED = "host_disabled"
OLT_DISABLED = "olt_disabled"
ALREADY_PENDING = "already_pending"
ALREADY_RUNNING = "already_running"
NOT_FOUND = "not_found"


@dataclass
class Skip:
    """One thing that will not run, and why."""

    reason: str
    olt_name: str | None = None


@dataclass
class JobPlan:
    """What running one job now would do."""

    job_id: int
    job_name: str
    hosts: list[JobHost] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.hosts)


@dataclass
class RunReport:
    """What run_jobs_now did."""

    plans: list[JobPlan]
    execution_ids: list[int] = field(default_factory=list)
    enqueued: int = 0
    queue_error: str | None = None

    @property
    def jobs_run(self) -> int:
        return sum(1 for p in self.plans if p.count)

    @property
    def created(self) -> int:
        return len(self.execution_ids)

    @property
    def skips(self) -> list[tuple[str, Skip]]:
        return [(p.job_name, s) for p in self.plans for s in p.skips]


def _active_pairs(job_ids: list[int]) -> dict[tuple[int, int], str]:
    """Map (job_id, olt_id) to the status of an execution still PENDING or RUNNING."""
    rows = db.session.execute(
        select(Execution.job_id, Execution.olt_id, Execution.status).where(
            Execution.job_id.in_(job_ids), Execution.status.in_(ACTIVE)
        )
    )
    pairs: dict[tuple[int, int], str] = {}
    for job_id, olt_id, status in rows:
        if pairs.get((job_id, olt_id)) != "RUNNING":
            pairs[(job_id, olt_id)] = status
    return pairs


def _plan_job(job: SnmpJob, active: dict[tuple[int, int], str]) -> JobPlan:
    plan = JobPlan(job.id, job.name)
    if not job.enabled:
        plan.skips.append(Skip(JOB_DISABLED))
        return plan
    if not any(h.enabled for h in job.hosts):
        plan.skips.append(Skip(NO_HOSTS))
        return plan
    for host in job.hosts:
        olt = host.olt
        if not host.enabled:
            plan.skips.append(Skip(HOST_DISABLED, olt.name))
        elif not olt.enabled:
            plan.skips.append(Skip(OLT_DISABLED, olt.name))
        elif (job.id, olt.id) in active:
            code = ALREADY_RUNNING if active[(job.id, olt.id)] == "RUNNING" else ALREADY_PENDING
            plan.skips.append(Skip(code, olt.name))
        else:
            plan.hosts.append(host)
    return plan


def plan_run(job_ids: list[int]) -> list[JobPlan]:
    """Say, per job, which OLTs would get an execution and what would be skipped and why."""
    ids = sorted({int(i) for i in job_ids})
    query = select(SnmpJob).where(SnmpJob.id.in_(ids))
    query = query.options(selectinload(SnmpJob.hosts).selectinload(JobHost.olt))
    jobs = db.session.scalars(query).all()
    found = {j.id: j for j in jobs}
    active = _active_pairs(ids)
    plans = []
    for job_id in ids:
        job = found.get(job_id)
        if job is None:
            plans.append(JobPlan(job_id, f"#{job_id}", skips=[Skip(NOT_FOUND)]))
        else:
            plans.append(_plan_job(job, active))
    return plans


def _new_execution(host: JobHost, user: User | None, trigger: str, label: str) -> Execution:
    job = host.job
    return Execution(
        job_id=job.id,
        job_host_id=host.id,
        olt_id=host.olt_id,
        job_name=job.name,
        olt_name=host.olt.name,
        job_type=job.job_type,
        requested_by_id=user.id if user else None,
        requested_by_name=user.username if user else label,
        trigger=trigger,
        queue=current_app.config["QUEUE_NAME"],
        attempt=0,
    )


PLAN_ATTEMPTS = 3  # plans made again when a concurrent run-now took some (job, OLT) first


def run_jobs_now(
    job_ids: list[int],
    user: User | None = None,
    trigger: str = "manual",
    label: str = "",
    olt_ids: set[int] | None = None,
    scheduled_for: dict[int, datetime] | None = None,
) -> RunReport:
    """Create one PENDING execution per runnable (job, OLT), commit, then enqueue them all.

    olt_ids limits the run to those OLTs of the jobs (a re-run of one execution). Two
    run-nows of one job at once (a double click, two users, the scheduler) create one
    execution per (job, OLT): the database holds at most one active execution per pair
    (a partial unique index), and the run that loses plans again and skips that pair as
    already pending.
    """
    for attempt in range(1, PLAN_ATTEMPTS + 1):
        try:
            report = _run_jobs_now(job_ids, user, trigger, label, olt_ids, scheduled_for)
            metrics.run_now(report, trigger)  # what was queued and skipped, once committed
            return report
        except IntegrityError:
            db.session.rollback()
            if attempt == PLAN_ATTEMPTS:
                raise
            log.info("run now of jobs %s: another run took an OLT first; planning again", job_ids)
    raise AssertionError("unreachable")


def _run_jobs_now(job_ids, user, trigger, label, olt_ids, scheduled_for) -> RunReport:
    plans = plan_run(job_ids)
    if olt_ids is not None:
        names = set(db.session.scalars(select(Olt.name).where(Olt.id.in_(olt_ids))))
        for plan in plans:
            plan.hosts = [h for h in plan.hosts if h.olt_id in olt_ids]
            plan.skips = [s for s in plan.skips if s.olt_name is None or s.olt_name in names]
    report = RunReport(plans)
    executions = [
        _new_execution(host, user, trigger, label) for plan in plans for host in plan.hosts
    ]
    if not executions:
        return report
    for ex in executions:
        ex.scheduled_for = (scheduled_for or {}).get(ex.job_id)
    now = utcnow()
    for plan in plans:
        if plan.count:
            db.session.get(SnmpJob, plan.job_id).last_run_at = now
    db.session.add_all(executions)
    db.session.commit()  # rows exist before any worker can look for them
    report.execution_ids = [e.id for e in executions]
    enqueue_executions(executions, report)
    return report


def enqueue_executions(
    executions: list[Execution], report: RunReport | None = None, again: bool = False
) -> int:
    """Enqueue executions in one Redis pipeline; on failure mark them FAILED, not pending.

    again: a new RQ job for executions whose earlier RQ job was lost (its own id, so the old
    job's leftovers never get in the way).
    """
    suffix = f"-q{int(utcnow().timestamp())}" if again else ""
    cfg = current_app.config
    queue = Queue(cfg["QUEUE_NAME"], connection=get_redis(cfg["REDIS_URL"]))
    datas = [
        Queue.prepare_data(
            RUN_EXECUTION,
            args=(e.id,),
            job_id=rq_job_id(e.id) + suffix,
            timeout=cfg["JOB_TIMEOUT"],
            result_ttl=cfg["RESULT_TTL"],
            failure_ttl=cfg["FAILURE_TTL"],
            description=f"{e.job_name} @ {e.olt_name} (execution {e.id})",
        )
        for e in executions
    ]
    try:
        with queue.connection.pipeline() as pipe:
            jobs = queue.enqueue_many(datas, pipeline=pipe)
            pipe.execute()
    except RedisError as exc:
        reason = (
            f"queue unavailable: cannot reach Redis at {redis_describe(cfg['REDIS_URL'])} ({exc})"
        )
        log.error("enqueue of %d executions failed: %s", len(executions), reason)
        for e in executions:
            e.finish(FAILED, error=reason)
        db.session.commit()
        if report is not None:
            report.queue_error = reason
        return 0
    for e, job in zip(executions, jobs, strict=True):
        e.rq_job_id = job.id
    db.session.commit()
    log.info("enqueued %d executions on %s", len(jobs), queue.name)
    if report is not None:
        report.enqueued = len(jobs)
    return len(jobs)


def enqueue_later(ex: Execution, seconds: float, lock_try: int = 0, note: str = "") -> str:
    """Schedule an execution's RQ job `seconds` from now (RQ's scheduler moves it when due)."""
    cfg = current_app.config
    queue = Queue(cfg["QUEUE_NAME"], connection=get_redis(cfg["REDIS_URL"]))
    args = (ex.id, lock_try) if lock_try else (ex.id,)
    job = queue.enqueue_in(
        timedelta(seconds=seconds),
        RUN_EXECUTION,
        *args,
        job_id=rq_job_id(ex.id, lock_try),
        job_timeout=cfg["JOB_TIMEOUT"],
        result_ttl=cfg["RESULT_TTL"],
        failure_ttl=cfg["FAILURE_TTL"],
        description=f"{ex.job_name} @ {ex.olt_name} (execution {ex.id}{note})",
    )
    return job.id
