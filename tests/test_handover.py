"""Per-OLT hand-over: an execution whose OLT is busy waits holding no worker, and runs as
soon as the lock is freed, in created order; the reaper covers holders that died."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from jobs.control import cancel_executions
from jobs.dispatch import run_jobs_now
from jobs.handover import hand_over
from jobs.locks import lock_name, waiting, waiting_key
from jobs.queues import get_redis
from jobs.reaper import reap
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow


def _work(app) -> None:
    db.session.commit()
    redis = get_redis(app.config["REDIS_URL"])
    SimpleWorker([Queue("discovery_main", connection=redis)], connection=redis).work(burst=True)
    db.session.expire_all()


def _executions() -> list[Execution]:
    return db.session.scalars(select(Execution).order_by(Execution.id)).all()


def _busy(app, olt) -> None:
    """Another execution (999) holds the OLT's lock."""
    get_redis(app.config["REDIS_URL"]).set(lock_name(olt.id), "999|other|now", ex=60)


def test_a_busy_olt_makes_executions_wait_in_created_order_holding_no_worker(app, lab):
    olt = make_olt(lab, "huawei-a")
    first, second = make_job([olt], name="first"), make_job([olt], name="second")
    _busy(app, olt)
    run_jobs_now([first.id], trigger="cli", label="t")
    run_jobs_now([second.id], trigger="cli", label="t")
    _work(app)  # both RQ jobs end at once: nothing polls the lock
    redis = get_redis(app.config["REDIS_URL"])
    a, b = _executions()
    assert (a.status, b.status) == ("PENDING", "PENDING")
    assert a.summary == {"lock_waits": 1, "lock_held_by_execution": "999"}
    assert waiting(redis) == {olt.id: [a.id, b.id]}
    queue = Queue("discovery_main", connection=redis)
    assert queue.count == 0 and ScheduledJobRegistry(queue=queue).count == 0

    redis.delete(lock_name(olt.id))  # the holder is done
    assert hand_over(redis, olt.id) == a.id  # what the holder does after releasing
    _work(app)  # a runs, and hands the OLT over to b when it ends: b runs in the same burst
    a, b = _executions()
    assert (a.status, b.status) == ("SUCCESS", "SUCCESS")
    assert b.started_at >= a.finished_at  # one after the other, never together
    assert a.rq_job_id.startswith(f"execution-{a.id}-h")
    assert b.rq_job_id.startswith(f"execution-{b.id}-h")
    assert a.summary["lock_waits"] == 1 and b.summary["lock_waits"] == 1
    assert waiting(redis) == {} and redis.get(lock_name(olt.id)) is None


def test_a_cancelled_waiter_is_passed_over(app, lab):
    olt = make_olt(lab, "huawei-a")
    jobs = [make_job([olt], name=f"j{n}") for n in range(3)]
    _busy(app, olt)
    for job in jobs:
        run_jobs_now([job.id], trigger="cli", label="t")
    _work(app)
    a, b, c = _executions()
    redis = get_redis(app.config["REDIS_URL"])
    assert cancel_executions([a.id], make_user("noc")) == 1
    assert waiting(redis) == {olt.id: [b.id, c.id]}  # taken out of the waiters
    db.session.get(Execution, b.id).finish("INTERRUPTED", error="stopped by hand")
    db.session.commit()  # b ended without a cancel (say the reaper failed it)
    redis.delete(lock_name(olt.id))
    assert hand_over(redis, olt.id) == c.id  # b is skipped: only PENDING ones run
    _work(app)
    assert [e.status for e in _executions()] == ["INTERRUPTED", "INTERRUPTED", "SUCCESS"]


def test_the_reaper_hands_over_an_olt_whose_holder_died(app, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    _busy(app, olt)
    run_jobs_now([job.id], trigger="cli", label="t")
    _work(app)
    redis = get_redis(app.config["REDIS_URL"])
    app.config["PENDING_GRACE"] = 0
    assert reap()["requeued"] == 0  # waiting is not lost: its RQ job ended on purpose
    redis.delete(lock_name(olt.id))  # the lock expired: its holder was killed
    report = reap()
    assert report["handed_over"] == 1 and report["requeued"] == 0
    _work(app)
    assert [e.status for e in _executions()] == ["SUCCESS"]


def test_a_waiter_pending_too_long_fails_with_the_reason(app, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt], name="poll a")
    _busy(app, olt)
    run_jobs_now([job.id], trigger="cli", label="t")
    _work(app)
    report = reap(utcnow() + timedelta(hours=2))
    assert report["failed_pending"] == 1
    (ex,) = _executions()
    assert ex.status == "FAILED"
    assert ex.error == (
        "OLT huawei-a busy: still waiting for its lock after 3600 s (last held by execution 999)"
    )
    assert get_redis(app.config["REDIS_URL"]).zcard(waiting_key(olt.id)) == 0
