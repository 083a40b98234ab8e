"""Run-now in bulk: a fixed number of statements whatever the number of jobs and OLTs, rows
written whole (ids and RQ job ids), one pipeline, and the queue name setting honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import event, select

from jobs import ops
from jobs.dispatch import Queued, enqueue_many, plan_run, run_jobs_now
from jobs.queues import RUN_EXECUTION, get_redis
from tests.factories import make_job, make_olt, make_user
from webapp.config import ConfigError, build_config
from webapp.extensions import db
from webapp.models import Execution, SnmpJob


class Statements:
    """Count the SQL statements the app's engine runs while it is open."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def _jobs(n_jobs: int, n_olts: int, prefix: str) -> list[int]:
    olts = [make_olt(None, f"{prefix}-olt-{n}") for n in range(n_olts)]
    return [make_job(olts, name=f"{prefix} job {n}").id for n in range(n_jobs)]


def _statements(fn, *args) -> int:
    db.session.commit()
    with Statements() as seen:
        fn(*args)
    return seen.count


def test_plan_and_run_now_cost_the_same_statements_for_3_or_120_pairs(app):
    small = _jobs(1, 3, "s")
    big = _jobs(4, 30, "b")
    # three SELECTs (and, on SQLite, the BEGIN of the transaction)
    assert _statements(plan_run, small) == _statements(plan_run, big) <= 4
    run_small = _statements(run_jobs_now, small)
    run_big = _statements(run_jobs_now, big)
    assert run_small == run_big, (run_small, run_big)
    assert db.session.scalar(select(db.func.count()).select_from(Execution)) == 3 + 120


def test_executions_are_written_whole_and_enqueued_in_order(app, redis_url):
    user = make_user("noc")
    job_ids = _jobs(2, 5, "w")
    report = run_jobs_now(job_ids, user)
    assert report.created == report.enqueued == 10 and report.queue_error is None
    rows = db.session.scalars(
        select(Execution).where(Execution.id.in_(report.execution_ids)).order_by(Execution.id)
    ).all()
    assert [e.id for e in rows] == sorted(report.execution_ids)
    for e in rows:
        assert e.status == "PENDING" and e.rq_job_id == f"execution-{e.id}"
        assert e.requested_by_id == user.id and e.requested_by_name == "noc"
        assert e.job_name.startswith("w job ") and e.olt_name.startswith("w-olt-")
        assert e.summary == {} and e.attempt == 0 and e.created_at.tzinfo is not None
    pairs = {(e.job_id, e.olt_name) for e in rows}
    assert len(pairs) == 10  # one per (job, OLT)
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    assert queue.job_ids == [f"execution-{i}" for i in report.execution_ids]
    job = Job.fetch(f"execution-{rows[0].id}", connection=get_redis(redis_url))
    assert job.args == (rows[0].id,) and rows[0].olt_name in job.description
    ran = db.session.scalars(select(SnmpJob.last_run_at).where(SnmpJob.id.in_(job_ids))).all()
    assert all(when is not None for when in ran) and len(set(ran)) == 1


def test_nothing_reaches_redis_before_the_executions_are_committed(app, redis_url):
    """A worker must find its execution's row: on PostgreSQL the RQ jobs are built while
    the rows are written, but the pipeline goes out only after the commit; a slot still
    ahead (RQ's scheduled registry) too."""
    redis = get_redis(redis_url)
    job_ids = _jobs(3, 40, "c")
    slot = {job_ids[0]: datetime.now(UTC) + timedelta(minutes=5)}
    at_commit = []

    def before_commit(session) -> None:
        at_commit.append(redis.keys("*"))

    session = db.session()
    event.listen(session, "before_commit", before_commit)
    try:
        report = run_jobs_now(job_ids, scheduled_for=slot)
    finally:
        event.remove(session, "before_commit", before_commit)
    assert at_commit == [[]]
    assert report.created == report.enqueued == 120
    assert len(redis.keys("rq:job:*")) == 120
    assert redis.llen("rq:queue:discovery_main") == 80
    assert redis.zcard("rq:scheduled:discovery_main") == 40


def _stored(redis) -> dict:
    """Every key in Redis with its value, the jobs' timestamps left out."""
    state = {}
    for key in sorted(redis.keys("*")):
        kind = redis.type(key)
        if kind == b"hash":
            value = redis.hgetall(key)
            for stamp in (b"created_at", b"enqueued_at"):
                value[stamp] = bool(value.pop(stamp, None))  # whether it is there
        elif kind == b"list":
            value = redis.lrange(key, 0, -1)
        elif kind == b"set":
            value = redis.smembers(key)
        else:
            value = redis.zrange(key, 0, -1, withscores=True)
        state[key] = value
    return state


def test_a_batch_stores_what_rq_enqueue_many_and_schedule_job_store(app, redis_url):
    """The batch writes RQ's jobs with fewer commands: the same keys and values as RQ's own
    enqueue_many (queued) and schedule_job (due later), but the timestamps."""
    redis = get_redis(redis_url)
    due = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    batch = [Queued(7, "poll a", "olt-1"), Queued(8, "poll a", "olt-2"), Queued(9, "b", "o", due)]
    assert enqueue_many(batch) == 3
    ours = _stored(redis)
    redis.flushdb()
    cfg = app.config
    options = dict(
        timeout=cfg["JOB_TIMEOUT"], result_ttl=cfg["RESULT_TTL"], failure_ttl=cfg["FAILURE_TTL"]
    )
    queue = Queue(cfg["QUEUE_NAME"], connection=redis)
    with redis.pipeline() as pipe:
        datas = [
            Queue.prepare_data(
                RUN_EXECUTION,
                args=(i,),
                job_id=f"execution-{i}",
                description=f"poll a @ olt-{n} (execution {i})",
                **options,
            )
            for i, n in ((7, 1), (8, 2))
        ]
        queue.enqueue_many(datas, pipeline=pipe)
        pipe.execute()
    later = queue.create_job(
        RUN_EXECUTION,
        args=(9,),
        job_id="execution-9",
        description="b @ o (execution 9, due 07:08:09 UTC)",
        **options,
    )
    queue.schedule_job(later, due)
    assert ours == _stored(redis)
    assert len(ours) == 6  # three jobs, the queue, the scheduled registry, the queues' set


def test_a_second_run_now_skips_every_pending_pair(app):
    job_ids = _jobs(1, 4, "p")
    first = run_jobs_now(job_ids)
    second = run_jobs_now(job_ids)
    assert first.created == 4 and second.created == 0
    assert sorted(s.reason for _, s in second.skips) == ["already_pending"] * 4


def test_the_queue_name_setting_is_honoured(app, redis_url, client):
    app.config["QUEUE_NAME"] = "olts_west"
    report = run_jobs_now(_jobs(1, 2, "q"))
    redis = get_redis(redis_url)
    assert Queue("olts_west", connection=redis).count == 2
    assert Queue("discovery_main", connection=redis).count == 0
    assert {e.queue for e in db.session.scalars(select(Execution))} == {"olts_west"}
    assert ops.queue_names()[0] == "olts_west"
    assert "olts_west" in ops.queues_status()
    assert report.enqueued == 2


@pytest.mark.parametrize("name", ["with space", "", "x" * 51, "a/b"])
def test_a_bad_queue_name_is_refused_at_start(monkeypatch, name):
    monkeypatch.setenv("QUEUE_NAME", name)
    monkeypatch.setenv("SECRET_KEY", "k")
    if not name:  # unset in effect: the default
        assert build_config()["QUEUE_NAME"] == "discovery_main"
        return
    with pytest.raises(ConfigError, match="QUEUE_NAME"):
        build_config()
