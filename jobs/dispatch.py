"""Run SNMP jobs now: plan, create PENDING executions, commit, then enqueue them in one batch.

The admin action, `manage_cli.py run` and the scheduler all call run_jobs_now().
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job, JobStatus
from rq.utils import now as rq_now
from sqlalchemy import String, cast, func, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError

from jobs import metrics
from jobs.bulk import copy_rows
from jobs.messages import Message
from jobs.queues import RUN_EXECUTION, get_redis, redis_describe, rq_job_id
from jobs.types._rows import paused_gc
from webapp.extensions import db
from webapp.models import Execution, JobHost, Olt, SnmpJob, User
from webapp.models.base import utcnow
from webapp.models.executions import ACTIVE, FAILED, PENDING

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


@dataclass(frozen=True)
class Target:
    """One (job, OLT) pair that would get an execution."""

    host_id: int
    olt_id: int
    olt_name: str


@dataclass
class JobPlan:
    """What running one job now would do."""

    job_id: int
    job_name: str
    job_type: str = ""
    hosts: list[Target] = field(default_factory=list)
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


def _skip_reason(host, job_id: int, active: dict[tuple[int, int], str]) -> str | None:
    if not host.host_enabled:
        return HOST_DISABLED
    if not host.olt_enabled:
        return OLT_DISABLED
    status = active.get((job_id, host.olt_id))
    if status is not None:
        return ALREADY_RUNNING if status == "RUNNING" else ALREADY_PENDING
    return None


def plan_run(job_ids: list[int]) -> list[JobPlan]:
    """Say, per job, which OLTs would get an execution and what would be skipped and why.

    Three queries whatever the number of jobs and OLTs (jobs, their hosts with their OLTs,
    the active executions), reading columns only: no ORM object per host or OLT.
    """
    ids = sorted({int(i) for i in job_ids})
    jobs = {
        row.id: row
        for row in db.session.execute(
            select(SnmpJob.id, SnmpJob.name, SnmpJob.enabled, SnmpJob.job_type).where(
                SnmpJob.id.in_(ids)
            )
        )
    }
    hosts: dict[int, list] = {job_id: [] for job_id in ids}
    for row in db.session.execute(
        select(
            JobHost.job_id,
            JobHost.id.label("host_id"),
            JobHost.enabled.label("host_enabled"),
            Olt.id.label("olt_id"),
            Olt.name.label("olt_name"),
            Olt.enabled.label("olt_enabled"),
        )
        .join(Olt, Olt.id == JobHost.olt_id)
        .where(JobHost.job_id.in_(ids))
        .order_by(JobHost.job_id, JobHost.id)
    ):
        hosts[row.job_id].append(row)
    active = _active_pairs(ids)
    return [_plan_job(job_id, jobs.get(job_id), hosts[job_id], active) for job_id in ids]


def _plan_job(job_id: int, job, hosts: list, active: dict[tuple[int, int], str]) -> JobPlan:
    if job is None:
        return JobPlan(job_id, f"#{job_id}", skips=[Skip(NOT_FOUND)])
    plan = JobPlan(job.id, job.name, job.job_type)
    if not job.enabled:
        plan.skips.append(Skip(JOB_DISABLED))
    elif not any(h.host_enabled for h in hosts):
        plan.skips.append(Skip(NO_HOSTS))
    else:
        for host in hosts:
            reason = _skip_reason(host, job.id, active)
            if reason:
                plan.skips.append(Skip(reason, host.olt_name))
            else:
                plan.hosts.append(Target(host.host_id, host.olt_id, host.olt_name))
    return plan


def _execution_rows(plans, user, trigger, label, scheduled_for, now) -> list[dict]:
    """One row per planned (job, OLT): what insert() writes, in plan order."""
    queue = current_app.config["QUEUE_NAME"]
    slots = scheduled_for or {}
    return [
        {
            "job_id": plan.job_id,
            "job_host_id": target.host_id,
            "olt_id": target.olt_id,
            "job_name": plan.job_name,
            "olt_name": target.olt_name,
            "job_type": plan.job_type,
            "requested_by_id": user.id if user else None,
            "requested_by_name": user.username if user else label,
            "trigger": trigger,
            "queue": queue,
            "attempt": 0,
            "status": PENDING,
            "created_at": now,
            "scheduled_for": slots.get(plan.job_id),
            "summary": {},
        }
        for plan in plans
        for target in plan.hosts
    ]


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
            with paused_gc():
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
    """Plan; write every execution in one set-based pass (ids taken first); commit; enqueue.

    Without the cyclic garbage collector (jobs.types._rows.paused_gc): the rows, RQ jobs and
    their packed commands all survive the call, and the full collections their allocation
    set off cost a fifth of a 10,000-pair run-now (bench/scale.py). On PostgreSQL the RQ
    jobs are built while the server writes the rows (see _write_and_build); nothing is sent
    to Redis before the commit, so a worker always finds its execution's row.
    """
    plans = plan_run(job_ids)
    if olt_ids is not None:
        names = set(db.session.scalars(select(Olt.name).where(Olt.id.in_(olt_ids))))
        for plan in plans:
            plan.hosts = [h for h in plan.hosts if h.olt_id in olt_ids]
            plan.skips = [s for s in plan.skips if s.olt_name is None or s.olt_name in names]
    report = RunReport(plans)
    now = utcnow()
    rows = _execution_rows(plans, user, trigger, label, scheduled_for, now)
    if not rows:
        return report
    ids = _take_ids(len(rows))
    queued = [
        Queued(i, row["job_name"], row["olt_name"], _later(row["scheduled_for"], now))
        for i, row in zip(ids, rows, strict=True)
    ]
    ran = [p.job_id for p in plans if p.count]
    batch = _write_and_build(rows, ids, ran, now, queued)
    report.execution_ids = list(ids)
    report.enqueued = batch.send(report)
    return report


def _write_and_build(rows, ids, ran, now, queued) -> Batch:
    """Write the executions and last_run_at, commit, and build their RQ batch (unsent).

    On PostgreSQL most of the write is the server's (foreign key checks and index entries
    of the COPY), so a thread builds the batch meanwhile: it only makes RQ jobs and buffers
    their commands, which holds the GIL while the COPY mostly waits on its socket. On
    SQLite the write is the process's own CPU, with nothing to overlap (a thread there
    measured no faster): one after the other.
    """
    cfg = current_app.config
    if db.session.get_bind().dialect.name != "postgresql":
        _write(rows, ids, ran, now)
        return Batch.build(cfg, queued)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-now-batch") as pool:
        building = pool.submit(Batch.build, cfg, queued)
        _write(rows, ids, ran, now)  # if it fails, the batch is dropped unsent
        return building.result()


def _write(rows, ids, ran, now) -> None:
    insert_executions(rows, ids)
    db.session.execute(update(SnmpJob).where(SnmpJob.id.in_(ran)).values(last_run_at=now))
    db.session.commit()  # rows exist before any worker can look for them


def _take_ids(n: int) -> list[int]:
    """n new execution ids, ascending.

    On PostgreSQL from the sequence in one query; on SQLite after the highest id, which is
    safe because the transaction began IMMEDIATE (it holds the write lock until the commit).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return sorted(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('executions', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": n},
            )
        )
    first = (db.session.scalar(select(func.max(Execution.id))) or 0) + 1
    return list(range(first, first + n))


def insert_executions(rows: list[dict], ids: list[int]) -> None:
    """Insert PENDING executions with these ids (_take_ids) and their rq_job_id.

    With the ids taken first, each row is written whole in one pass with no RETURNING and
    no second UPDATE: on PostgreSQL by COPY (SQLAlchemy's batched INSERT … RETURNING spent
    most of a 10,000-row run-now having psycopg rewrite its placeholders), on SQLite by one
    executemany.
    """
    full = [{**row, "id": i, "rq_job_id": rq_job_id(i)} for i, row in zip(ids, rows, strict=True)]
    if db.session.get_bind().dialect.name == "postgresql":
        copy_rows(Execution.__table__, full)
    else:
        db.session.execute(insert(Execution.__table__), full)


def _later(slot: datetime | None, now: datetime) -> datetime | None:
    """The slot when it is still ahead (a scheduled run claimed early), else None: now."""
    return slot if slot is not None and slot > now else None


@dataclass(frozen=True)
class Queued:
    """What the queue needs of an execution: its id, the names its description shows, and
    when it is due if not at once (RQ's scheduler in the worker pool queues it then)."""

    id: int
    job_name: str
    olt_name: str
    at: datetime | None = None


def _set_rq_job_ids(ids: list[int], suffix: str = "") -> None:
    """rq_job_id = "execution-<id><suffix>" for these executions, in one statement."""
    value = literal("execution-") + cast(Execution.id, String)
    if suffix:
        value = value + literal(suffix)
    db.session.execute(update(Execution).where(Execution.id.in_(ids)).values(rq_job_id=value))


def enqueue_many(executions: list[Queued], report: RunReport | None = None, suffix="") -> int:
    """Enqueue executions in one Redis pipeline; on failure mark them FAILED, not pending.

    Their rq_job_id ("execution-<id><suffix>") is already written and committed.
    """
    return Batch.build(current_app.config, executions, suffix).send(report)


@dataclass
class Batch:
    """Executions' RQ jobs with their commands buffered in one pipeline, not yet sent.

    Built from the config alone (no app context), so it may be built in another thread
    while the executions are written; sent only once their rows are committed.
    """

    executions: list[Queued]
    redis_url: str
    queue: Queue | None = None
    pipe: Pipeline | None = None
    jobs: list = field(default_factory=list)

    @classmethod
    def build(cls, cfg, executions: list[Queued], suffix: str = "") -> Batch:
        """RQ jobs for the executions, their commands buffered in one MULTI/EXEC pipeline.

        What RQ's Queue.enqueue_many stores, written with fewer commands: own code because
        enqueue_many costs twice the CPU for 10,000 jobs (0.92 vs 0.49 s, bench/scale.py's
        yardstick against this): it sends three commands per job (HSET of the status, HSET
        of the job, RPUSH) where one HSET per job and one RPUSH for the batch store the same,
        and it checks each job's serializer against a typing Protocol. The job hashes, the
        queue's list and its registration are RQ's own, byte for byte but the timestamps
        (tests/test_run_now_bulk.py compares them with enqueue_many's); rq is pinned.
        """
        batch = cls(executions, cfg["REDIS_URL"])
        redis = get_redis(cfg["REDIS_URL"])
        batch.queue = queue = Queue(cfg["QUEUE_NAME"], connection=redis)
        batch.pipe = pipe = redis.pipeline()
        enqueued_at = rq_now()
        pipe.sadd(queue.redis_queues_keys, queue.key)
        queued, scheduled = [], {}
        for e in executions:
            if e.at is None:
                job = _job(e, suffix, cfg, queue, JobStatus.QUEUED)
                job.enqueued_at = enqueued_at
                queued.append(job.id)
            else:
                # Not Queue.schedule_job: its ScheduledJobRegistry.schedule ignores the pipeline
                # (rq 2.12 sends the ZADD at once), so the slot could reach Redis before the
                # rows are committed and the job's hash written, and RQ's scheduler drops an
                # id it finds no hash for.
                job = _job(e, suffix, cfg, queue, JobStatus.SCHEDULED, f", due {e.at:%H:%M:%S} UTC")
                # RQ scores in whole seconds (a slot at :34.9 would be queued at :34.0); the
                # exact time, which PoolScheduler queues it at (RQ reads either)
                scheduled[job.id] = e.at.timestamp()
            pipe.hset(job.key, mapping=job.to_dict())
            batch.jobs.append(job)
        if queued:
            pipe.rpush(queue.key, *queued)
        if scheduled:
            pipe.zadd(queue.scheduled_job_registry.key, scheduled)
        return batch

    def send(self, report: RunReport | None = None) -> int:
        """Send the pipeline; the number of jobs queued, or 0 with the executions FAILED."""
        try:
            with self.pipe:
                self.pipe.execute()
        except RedisError as exc:
            where = redis_describe(self.redis_url)
            reason = Message("queue_unavailable", redis=where, detail=str(exc))
            log.error("enqueue of %d executions failed: %s", len(self.executions), reason)
            _fail_unqueued([e.id for e in self.executions], reason)
            if report is not None:
                report.queue_error = reason
            return 0
        log.info("enqueued %d executions on %s", len(self.jobs), self.queue.name)
        return len(self.jobs)


def _job(e: Queued, suffix: str, cfg, queue: Queue, status: JobStatus, due: str = "") -> Job:
    """The RQ job of an execution, as Queue.create_job makes it (not saved)."""
    return Job.create(
        RUN_EXECUTION,
        args=(e.id,),
        id=rq_job_id(e.id) + suffix,
        description=f"{e.job_name} @ {e.olt_name} (execution {e.id}{due})",
        status=status,
        origin=queue.name,
        connection=queue.connection,
        timeout=cfg["JOB_TIMEOUT"],
        result_ttl=cfg["RESULT_TTL"],
        failure_ttl=cfg["FAILURE_TTL"],
    )


def _fail_unqueued(ids: list[int], reason: Message) -> None:
    """Executions the queue never got: FAILED with the reason (those still PENDING)."""
    db.session.rollback()
    rows = db.session.scalars(
        select(Execution).where(Execution.id.in_(ids), Execution.status == PENDING)
    ).all()
    for e in rows:
        e.finish(FAILED, error=reason)
    db.session.commit()


def enqueue_executions(executions: list[Execution], suffix: str = "") -> int:
    """Enqueue these executions (ORM rows) under RQ job ids "execution-<id><suffix>".

    A suffix gives an execution whose earlier RQ job was lost, or ended while it waited for
    its OLT, a job of its own: the old job's leftovers never get in the way.
    """
    ids = [e.id for e in executions]
    queued = [Queued(e.id, e.job_name, e.olt_name) for e in executions]
    _set_rq_job_ids(ids, suffix)
    db.session.commit()
    return enqueue_many(queued, suffix=suffix)


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
