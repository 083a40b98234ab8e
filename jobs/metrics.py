"""Counters and histograms of the work, kept in Redis where every process adds to them.

Why Redis and a custom collector, not prometheus_client's multiprocess mode: the pool's
workers come and go (a fresh one replaces each worker after WORKER_MAX_JOBS jobs, or a crash),
so multiprocess mode would leave one file per worker process ever run to be merged on every
scrape (and cleaned up with mark_process_dead), and its files live on the host that wrote
them: the web host would never see the counts of a second worker host. Every process here
already shares one Redis, so each records with HINCRBY/HINCRBYFLOAT into one hash (one
pipelined round trip per record), and /metrics reads it with one HGETALL into Prometheus
families. A Redis that loses its data resets the counters, which Prometheus's rate() treats
as any counter reset. Recording never fails the work: Redis errors are logged and dropped.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from jobs.queues import get_redis
from webapp.extensions import db
from webapp.models.executions import SUCCESS

log = logging.getLogger(__name__)

KEY = "oltwatch:metrics"  # one hash: field = JSON [sample name, label values...]


@dataclass(frozen=True)
class Spec:
    """One metric family: its name (a counter's without _total), help, labels, buckets."""

    name: str
    kind: str  # "counter" or "histogram"
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()  # upper bounds, +Inf added


# Polls take from under a second (a small OLT) to minutes (16,384 ONUs on a slow agent).
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 15, 30, 60, 120, 300, 900)
# Issue 11 asks for a start lag under 2 s at p95.
DELAY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900)

EXECUTIONS = Spec(
    "oltwatch_executions", "counter",
    "Executions that ended, by status and job type", ("status", "job_type"),
)  # fmt: skip
DURATION = Spec(
    "oltwatch_execution_duration_seconds", "histogram",
    "Run time of executions that started, from start to end", ("job_type",), DURATION_BUCKETS,
)  # fmt: skip
START_DELAY = Spec(
    "oltwatch_execution_start_delay_seconds", "histogram",
    "From an execution's slot (or its creation) to its start", ("trigger",), DELAY_BUCKETS,
)  # fmt: skip
SNMP_SECONDS = Spec(
    "oltwatch_snmp_seconds", "counter",
    "Seconds successful executions spent reading their OLT", ("job_type",),
)  # fmt: skip
STORE_SECONDS = Spec(
    "oltwatch_store_seconds", "counter",
    "Seconds successful executions spent storing their results", ("job_type",),
)  # fmt: skip
ONUS_STORED = Spec(
    "oltwatch_onus_stored", "counter", "ONUs stored by successful executions", ("job_type",)
)
QUEUED = Spec(
    "oltwatch_executions_queued", "counter", "Executions created and queued", ("trigger",)
)
SKIPPED = Spec(
    "oltwatch_runnow_skipped", "counter",
    "(job, OLT) pairs a run-now did not run, by reason", ("reason",),
)  # fmt: skip
LOCK_WAITS = Spec("oltwatch_lock_waits", "counter", "Times an execution found its OLT busy")
REAPER = Spec(
    "oltwatch_reaper_actions", "counter",
    "What the reaper did: lost, requeued, failed_pending, released, locks_cleared", ("action",),
)  # fmt: skip
TICKS = Spec("oltwatch_scheduler_ticks", "counter", "Scheduler ticks that ran")
DISPATCHED = Spec(
    "oltwatch_scheduler_jobs_dispatched", "counter", "Due jobs the scheduler claimed and ran"
)
SPECS = (
    EXECUTIONS, DURATION, START_DELAY, SNMP_SECONDS, STORE_SECONDS, ONUS_STORED,
    QUEUED, SKIPPED, LOCK_WAITS, REAPER, TICKS, DISPATCHED,
)  # fmt: skip


class Batch:
    """Increments to send together (one pipeline)."""

    def __init__(self) -> None:
        self.fields: Counter[str] = Counter()
        self.redis_url: str | None = None  # where a batch sent at commit time goes

    def inc(self, spec: Spec, value: float = 1, *labels: str) -> Batch:
        """Add value to a counter."""
        if value:
            self._add(spec.name, labels, value)
        return self

    def observe(self, spec: Spec, value: float, *labels: str) -> Batch:
        """Count value in its histogram bucket (stored per bucket, summed when read)."""
        bound = next((b for b in spec.buckets if value <= b), float("inf"))
        self._add(spec.name + "_bucket", (*labels, floatToGoString(bound)), 1)
        self._add(spec.name + "_sum", labels, value)
        return self

    def merge(self, other: Batch) -> None:
        """Add another batch's increments to this one."""
        self.fields.update(other.fields)

    def _add(self, sample: str, labels: tuple[str, ...], value: float) -> None:
        self.fields[json.dumps([sample, *map(str, labels)])] += value

    def send(self, redis: Redis) -> None:
        """Apply the increments in one round trip; a Redis error is logged, not raised."""
        if not self.fields:
            return
        try:
            with redis.pipeline(transaction=False) as pipe:
                for field, value in self.fields.items():
                    if isinstance(value, int):
                        pipe.hincrby(KEY, field, value)
                    else:
                        pipe.hincrbyfloat(KEY, field, value)
                pipe.execute()
        except RedisError as exc:
            log.warning("metrics not recorded (%d fields): %s", len(self.fields), exc)


def _send(batch: Batch) -> None:
    """Send now, to the app's Redis; metrics must never break the work they count."""
    try:
        batch.send(get_redis(current_app.config["REDIS_URL"]))
    except Exception:  # a bug here must not fail a job, a tick or a run-now
        log.exception("metrics not recorded")


# --- what the work records ----------------------------------------------------------------


def execution_batch(ex) -> Batch:
    """The increments of one execution that ended (from its row: status, times, summary)."""
    batch = Batch().inc(EXECUTIONS, 1, ex.status, ex.job_type)
    if ex.duration_ms is not None:
        batch.observe(DURATION, ex.duration_ms / 1000, ex.job_type)
    if ex.started_at is not None:
        since = ex.scheduled_for or ex.created_at
        if since is not None:
            delay = (ex.started_at - since).total_seconds()
            batch.observe(START_DELAY, max(0.0, delay), ex.trigger)
    summary = ex.summary or {}
    batch.inc(SNMP_SECONDS, float(summary.get("snmp_s") or 0), ex.job_type)
    batch.inc(STORE_SECONDS, float(summary.get("db_s") or 0), ex.job_type)
    onus = summary.get("found", summary.get("targets", 0))
    batch.inc(ONUS_STORED, int(onus or 0) if ex.status == SUCCESS else 0, ex.job_type)
    return batch


_PENDING = "oltwatch.metrics"  # Session.info key: increments waiting for the commit


def execution_ended(ex) -> None:
    """Count an execution that reached its end, once the transaction that ends it commits."""
    try:
        _listen()
        session = db.session()
        pending = session.info.setdefault(_PENDING, Batch())
        pending.merge(execution_batch(ex))
        pending.redis_url = current_app.config["REDIS_URL"]
    except Exception:
        log.exception("execution %s: metrics not recorded", getattr(ex, "id", "?"))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the outer transaction may still roll back
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        try:
            pending.send(get_redis(pending.redis_url))
        except Exception:
            log.exception("metrics not recorded")


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)  # rolled back: what it ended did not end


def _listen() -> None:
    """Hook the commit of every session, once per process (not at import: no side effects)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


def run_now(report, trigger: str) -> None:
    """Count what a run-now queued and what it skipped, by reason."""
    batch = Batch().inc(QUEUED, report.enqueued, trigger)
    for reason, n in Counter(skip.reason for _job, skip in report.skips).items():
        batch.inc(SKIPPED, n, reason)
    _send(batch)


def retry_queued() -> None:
    """Count a retry execution that was created and queued."""
    _send(Batch().inc(QUEUED, 1, "retry"))


def lock_waited() -> None:
    """Count an execution that found its OLT's lock held."""
    _send(Batch().inc(LOCK_WAITS))


def reaper_acted(**counts: int) -> None:
    """Count what the reaper did (lost=…, requeued=…, failed_pending=…, released=…)."""
    batch = Batch()
    for action, n in counts.items():
        batch.inc(REAPER, n, action)
    _send(batch)


def scheduler_ticked(summary: dict) -> None:
    """Count a tick and the due jobs it dispatched."""
    _send(Batch().inc(TICKS).inc(DISPATCHED, summary.get("claimed", 0)))


# --- what /metrics reads ------------------------------------------------------------------


class RedisCounters:
    """A prometheus_client collector of the counters and histograms above (one HGETALL)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def collect(self) -> Iterator[Metric]:
        """Yield every family, with the samples recorded so far (raises RedisError)."""
        samples: dict[str, dict[tuple[str, ...], float]] = defaultdict(dict)
        for field, value in self.redis.hgetall(KEY).items():
            try:
                name, *labels = json.loads(field)
                samples[name][tuple(labels)] = float(value)
            except (ValueError, TypeError):
                log.warning("metrics: unreadable field %r", field)
        for spec in SPECS:
            if spec.kind == "counter":
                yield _counter(spec, samples[spec.name])
            else:
                yield _histogram(spec, samples[spec.name + "_bucket"], samples[spec.name + "_sum"])


def _counter(spec: Spec, values: dict[tuple[str, ...], float]) -> Metric:
    family = CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    for labels, value in sorted(values.items()):
        if len(labels) == len(spec.labels):
            family.add_metric(labels, value)
    return family


def _histogram(spec: Spec, buckets: dict, sums: dict) -> Metric:
    family = HistogramMetricFamily(spec.name, spec.help, labels=spec.labels)
    n = len(spec.labels)
    for labels in sorted({key[:n] for key in buckets if len(key) == n + 1}):
        total, cumulative = 0.0, []
        for bound in (*spec.buckets, float("inf")):
            total += buckets.get((*labels, floatToGoString(bound)), 0)
            cumulative.append((floatToGoString(bound), total))
        family.add_metric(labels, cumulative, sum_value=sums.get(labels, 0.0))
    return family
