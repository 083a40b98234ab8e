"""The reaper at scale: RQ jobs fetched in batches, lock holders looked up in one query."""

from __future__ import annotations

from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import event, select

from jobs.dispatch import enqueue_later, run_jobs_now
from jobs.locks import lock_name
from jobs.queues import get_redis
from jobs.reaper import clear_stale_locks, reap
from tests.factories import make_job, make_olt
from tests.test_metrics import scrape, value
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow


def test_only_the_lost_rq_jobs_are_enqueued_again(app, client, lab):
    app.config["PENDING_GRACE"] = 0
    olts = [make_olt(lab, f"olt-{n}", community="huawei-a") for n in range(6)]
    ids = run_jobs_now([make_job(olts).id], trigger="cli", label="t").execution_ids
    vanished, popped, failed, no_job, queued, scheduled = ids
    redis = get_redis(app.config["REDIS_URL"])
    queue = Queue("discovery_main", connection=redis)
    jobs = dict(zip(ids, Job.fetch_many([f"execution-{i}" for i in ids], redis), strict=True))
    for ex_id in (vanished, popped, failed, no_job, scheduled):
        queue.remove(jobs[ex_id])
    jobs[vanished].delete()  # Redis lost it
    jobs[failed].set_status(JobStatus.FAILED)  # its work-horse died before marking it RUNNING
    # popped: still "queued", but in no queue (its worker died right after taking it)
    db.session.get(Execution, no_job).rq_job_id = None
    enqueue_later(db.session.get(Execution, scheduled), 3600)  # waits its turn: not lost
    db.session.commit()

    report = reap(utcnow())
    assert report == {
        "lost": 0, "requeued": 4, "failed_pending": 0, "released": 0, "handed_over": 0,
    }  # fmt: skip
    rq_ids = dict(db.session.execute(select(Execution.id, Execution.rq_job_id)).all())
    for ex_id in (vanished, popped, failed, no_job):
        assert rq_ids[ex_id].startswith(f"execution-{ex_id}-q")
    assert rq_ids[queued] == f"execution-{queued}" and rq_ids[scheduled] == f"execution-{scheduled}"
    assert value(scrape(app, client), "oltwatch_reaper_actions_total", action="requeued") == 4
    work(app)
    status = dict(db.session.execute(select(Execution.id, Execution.status)).all())
    assert status == {**dict.fromkeys(ids, "SUCCESS"), scheduled: "PENDING"}
    assert reap(utcnow())["requeued"] == 0  # the scheduled one is still RQ's


def test_stale_locks_cleared_with_one_query_for_all_holders(app, client, lab):
    olts = [make_olt(lab, f"olt-{n}", community="huawei-a") for n in range(4)]
    running, done, _ = run_jobs_now([make_job(olts[:3]).id], trigger="cli", label="t").execution_ids
    db.session.get(Execution, running).status = "RUNNING"
    db.session.get(Execution, done).status = "SUCCESS"
    db.session.commit()
    redis = get_redis(app.config["REDIS_URL"])
    for olt, holder in zip(olts, (running, done, "garbage", running + 1000), strict=True):
        redis.set(lock_name(olt.id), f"{holder}|w1|2026-01-01T00:00:00", ex=60)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert clear_stale_locks(redis) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "FROM executions" in s]) == 1
    assert [k.decode() for k in redis.keys("lock:snmp:olt:*")] == [lock_name(olts[0].id)]
    assert value(scrape(app, client), "oltwatch_reaper_actions_total", action="locks_cleared") == 3


def test_a_job_a_worker_has_just_taken_is_not_enqueued_again(app, lab):
    """RQ's worker moves the job it takes into the queue's intermediate list and marks it
    started a moment later; a reaper pass in between must not take it for lost. Left there
    longer than RQ allows (its worker died), it is lost and enqueued again."""
    from datetime import datetime, timedelta

    app.config["PENDING_GRACE"] = 0
    job = make_job([make_olt(lab, "huawei-a")])
    [ex_id] = run_jobs_now([job.id], trigger="cli", label="t").execution_ids
    redis = get_redis(app.config["REDIS_URL"])
    queue = Queue("discovery_main", connection=redis)
    # what a worker's dequeue does (RQ 2: LMOVE from the queue into its intermediate list)
    assert redis.lmove(queue.key, queue.intermediate_queue_key).decode() == f"execution-{ex_id}"
    assert Job.fetch(f"execution-{ex_id}", connection=redis).get_status() == JobStatus.QUEUED

    for _ in range(2):  # a pass, and one a few seconds later
        assert reap(utcnow())["requeued"] == 0
    assert db.session.get(Execution, ex_id).rq_job_id == f"execution-{ex_id}"

    taken = queue.intermediate_queue
    long_ago = (datetime.now().astimezone() - timedelta(minutes=2)).timestamp()
    redis.set(taken.get_first_seen_key(f"execution-{ex_id}"), long_ago)  # its worker died
    assert reap(utcnow())["requeued"] == 1
    db.session.expire_all()
    assert db.session.get(Execution, ex_id).rq_job_id.startswith(f"execution-{ex_id}-q")
    work(app)
    assert db.session.get(Execution, ex_id).status == "SUCCESS"
