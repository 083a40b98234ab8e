"""The state now, as Prometheus gauges, for /metrics: what is naturally a gauge.

Each is cheap at a million ONUs and a million executions: counts on indexed columns (the
executions' status, the ONUs' (olt_id, present), the alarms' status) and a few Redis round
trips. What happened over time (executions by status, their durations…) are counters and
histograms recorded where the work happens (jobs.metrics), not recomputed from the tables.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from rq import Queue, worker_registration
from sqlalchemy import func, select

from jobs import ops
from jobs.locks import LOCK_PREFIX
from jobs.metrics import RedisCounters
from jobs.scheduler import LAST_TICK_KEY
from jobs.types import ENUMERATING
from webapp.extensions import db
from webapp.models import Alarm, Execution, JobHost, Olt, Onu, SnmpJob
from webapp.models.base import utcnow
from webapp.models.executions import ACTIVE, PENDING


def _gauge(name: str, doc: str, labels: tuple[str, ...] = (), rows=None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, n in rows or ():
        family.add_metric([str(v) for v in values], n)
    return family


class StateGauges:
    """The state now, as gauges (counts on indexed columns, a few Redis reads), and the
    counters and histograms the work recorded in Redis (jobs.metrics.RedisCounters)."""

    def __init__(self, redis) -> None:
        self.redis = redis

    def collect(self):
        """Yield every family; with Redis down, oltwatch_redis_up 0 and the database's."""
        yield from _execution_gauges()
        yield from _inventory_gauges(self.redis)
        yield _alarm_gauge()
        try:
            families = [*_redis_gauges(self.redis), *RedisCounters(self.redis).collect()]
        except RedisError:
            yield _gauge("oltwatch_redis_up", "Redis reachable", rows=[(0,)])
            return
        yield _gauge("oltwatch_redis_up", "Redis reachable", rows=[(1,)])
        yield from families


def _execution_gauges():
    """Executions PENDING and RUNNING now, and the oldest PENDING one's age (status index)."""
    counts = dict.fromkeys(ACTIVE, 0)
    counts.update(
        db.session.execute(
            select(Execution.status, func.count())
            .where(Execution.status.in_(ACTIVE))
            .group_by(Execution.status)
        ).all()
    )
    yield _gauge(
        "oltwatch_executions_active", "Executions PENDING or RUNNING now", ("status",),
        sorted(counts.items()),
    )  # fmt: skip
    oldest = db.session.scalar(
        select(func.min(Execution.created_at)).where(Execution.status == PENDING)
    )
    age = (utcnow() - _aware(oldest)).total_seconds() if oldest else 0
    yield _gauge(
        "oltwatch_execution_oldest_pending_age_seconds",
        "Age of the oldest PENDING execution (0 when none)", rows=[(max(0.0, age),)],
    )  # fmt: skip


def _aware(when):
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# Counting the present ONUs reads every ONU row (about 0.3 s at 1,000,000 on PostgreSQL,
# whatever the index: polls rewrite every row, so index-only scans rarely apply). Each store
# of an enumerating walk knows its OLT's count and leaves it here after its commit; a scrape
# counts in the table only the OLTs missing here (a Redis that lost its data), once.
log = logging.getLogger(__name__)
ONUS_PRESENT_KEY = "oltwatch:onus-present"  # hash: OLT id -> ONUs present


def note_present(redis, olt_id: int, present: int) -> None:
    """Record an OLT's present ONUs after its store committed (best effort)."""
    try:
        redis.hset(ONUS_PRESENT_KEY, str(olt_id), int(present))
    except RedisError as exc:
        log.info("OLT %s: present ONUs not recorded for /metrics: %s", olt_id, exc)


def _onus_present(redis) -> list:
    try:
        kept = {int(k): int(v) for k, v in redis.hgetall(ONUS_PRESENT_KEY).items()}
    except (RedisError, ValueError):
        kept = None
    olts = dict(db.session.execute(select(Olt.id, Olt.name)).all())
    missing = [i for i in olts if kept is None or i not in kept]
    counted = {}
    if missing:
        query = select(Onu.olt_id, func.count()).where(Onu.present.is_(True))
        if kept:  # only those: all of them when Redis kept nothing
            query = query.where(Onu.olt_id.in_(missing))
        counted = dict(db.session.execute(query.group_by(Onu.olt_id)).all())
        counted.update((i, 0) for i in missing if i not in counted)
        try:
            redis.hset(ONUS_PRESENT_KEY, mapping={str(i): n for i, n in counted.items()})
        except RedisError:
            pass
    counts = {**(kept or {}), **counted}
    return sorted(([olts[i], n] for i, n in counts.items() if i in olts), key=lambda r: r[0])


def _inventory_gauges(redis):
    """ONUs present per OLT (counted at most once a minute), last ONU-list read per OLT."""
    yield _gauge("oltwatch_onus_present", "ONUs present per OLT", ("olt",), _onus_present(redis))
    # From the job hosts (one row per job and OLT), not a scan of the executions.
    last = db.session.execute(
        select(Olt.name, func.max(JobHost.last_success_at))
        .join(JobHost, JobHost.olt_id == Olt.id)
        .join(SnmpJob, SnmpJob.id == JobHost.job_id)
        .where(SnmpJob.job_type.in_(ENUMERATING), JobHost.last_success_at.is_not(None))
        .group_by(Olt.name)
    )
    yield _gauge(
        "oltwatch_last_discovery_success_timestamp_seconds",
        "Last successful read of the OLT's ONU list (a poll or a discovery job) per OLT",
        ("olt",), [(name, _aware(when).timestamp()) for name, when in last],
    )  # fmt: skip


def _alarm_gauge() -> GaugeMetricFamily:
    """Active alarms by severity and kind, with kind "any" per severity (status index)."""
    rows = db.session.execute(
        select(Alarm.severity, Alarm.kind, func.count())
        .where(Alarm.status == "active")
        .group_by(Alarm.severity, Alarm.kind)
    ).all()
    totals = dict.fromkeys(("critical", "major", "warning"), 0)
    for severity, _kind, n in rows:
        totals[severity] = totals.get(severity, 0) + n
    return _gauge(
        "oltwatch_alarms_active", "Active alarms by severity and kind", ("severity", "kind"),
        [*rows, *((severity, "any", n) for severity, n in totals.items())],
    )  # fmt: skip


def _redis_gauges(redis) -> list[GaugeMetricFamily]:
    """Queue depths, live workers, OLT locks, scheduler tick age: a few round trips."""
    names = ops.queue_names()
    with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(Queue(name, connection=redis).key)
        pipe.get(LAST_TICK_KEY)
        *depths, tick = pipe.execute()
    age = (utcnow() - datetime.fromisoformat(tick.decode())).total_seconds() if tick else None
    locks = sum(1 for _ in redis.scan_iter(match=f"{LOCK_PREFIX}*", count=1000))
    return [
        _gauge(
            "oltwatch_queue_depth",
            "Jobs waiting per queue",
            ("queue",),
            zip(names, depths, strict=True),
        ),
        _gauge("oltwatch_workers", "RQ workers alive", rows=[(live_workers(redis),)]),
        _gauge("oltwatch_locks_held", "OLT locks held", rows=[(locks,)]),
        _gauge(
            "oltwatch_scheduler_last_tick_age_seconds",
            "Seconds since the scheduler last ticked (absent before its first tick)",
            rows=[] if age is None else [(age,)],
        ),
    ]


def live_workers(redis) -> int:
    """RQ workers registered whose key has not expired (two round trips, whatever their number)."""
    keys = worker_registration.get_keys(connection=redis)
    with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.exists(key)
        return sum(pipe.execute())
