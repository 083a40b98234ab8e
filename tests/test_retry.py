"""Failed scheduled runs are retried as new, linked executions; manual runs are not."""

from __future__ import annotations

import socket

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.queues import get_redis
from tests.factories import make_job, make_olt
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(Execution).order_by(Execution.id)).all()


def _run_due_retries(redis_url: str) -> None:
    """Move the scheduled retries to the queue now (what RQ's scheduler does when due)."""
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    registry = ScheduledJobRegistry(queue=queue)
    for job_id in registry.get_job_ids():
        queue.enqueue_job(queue.fetch_job(job_id))
        registry.remove(job_id)


def test_scheduled_failure_is_retried_up_to_max_retries(app, redis_url):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        olt = make_olt(None, "silent", snmp_port=silent.getsockname()[1], timeout=0.2, retries=0)
        job = make_job([olt], max_retries=2, retry_delay=7)
        run_jobs_now([job.id], trigger="schedule")
        work(app)
        first, retry1 = _rows()
        assert (first.status, first.attempt) == ("FAILED", 0)
        assert (retry1.status, retry1.attempt, retry1.retry_of_id, retry1.trigger) == (
            "PENDING",
            1,
            first.id,
            "retry",
        )
        registry = ScheduledJobRegistry(
            queue=Queue("discovery_main", connection=get_redis(redis_url))
        )
        assert registry.get_job_ids() == [retry1.rq_job_id]
        for _ in range(3):
            _run_due_retries(redis_url)
            work(app)
    rows = _rows()
    assert [(r.attempt, r.status, r.retry_of_id) for r in rows] == [
        (0, "FAILED", None),
        (1, "FAILED", first.id),
        (2, "FAILED", first.id),
    ]


def test_manual_failures_are_not_retried(app):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        olt = make_olt(None, "silent", snmp_port=silent.getsockname()[1], timeout=0.2, retries=0)
        run_jobs_now([make_job([olt], max_retries=3).id], trigger="manual")
        work(app)
    assert [(r.attempt, r.status) for r in _rows()] == [(0, "FAILED")]


def _running_execution(app, lab, started_ago_s: float, **job_fields) -> Execution:
    """A scheduled execution that a worker marked RUNNING and then lost (no heartbeat)."""
    from datetime import timedelta

    from webapp.models.base import utcnow

    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt], max_retries=1, **job_fields).id], trigger="schedule")
    (ex,) = _rows()
    ex.status, ex.started_at = "RUNNING", utcnow() - timedelta(seconds=started_ago_s)
    ex.worker_name = "gone-host.123"
    db.session.commit()
    return ex


@pytest.mark.parametrize("kind", ["worker lost", "timed out"])
def test_what_the_reaper_ends_is_retried_like_any_failure(app, lab, redis_url, kind):
    from datetime import timedelta

    from jobs.reaper import reap
    from webapp.models.base import utcnow

    cfg = app.config
    started_ago_s = cfg["ALIVE_TTL"] + 5 if kind == "worker lost" else cfg["JOB_TIMEOUT"] + 100
    status, error, code, params = {
        "worker lost": ("INTERRUPTED", "worker lost (no heartbeat)", "worker_lost", {}),
        "timed out": (
            "FAILED",
            f"timed out after {cfg['JOB_TIMEOUT']} s (its worker stopped)",
            "job_timeout_worker",
            {"seconds": cfg["JOB_TIMEOUT"]},
        ),
    }[kind]
    ex = _running_execution(app, lab, started_ago_s)
    grace = timedelta(seconds=2 * app.config["HEARTBEAT_SECONDS"])
    assert reap(utcnow())["lost"] == 0  # a heartbeat missing once is only suspect
    assert reap(utcnow() + grace)["lost"] == 1
    first, retry = _rows()
    assert (first.id, first.status, first.error) == (ex.id, status, error)
    assert (first.error_code, first.error_params) == (code, params)
    assert (retry.status, retry.attempt, retry.retry_of_id, retry.trigger) == (
        "PENDING",
        1,
        first.id,
        "retry",
    )
    assert first.job_host.consecutive_failures == 1
    # the retry runs and succeeds
    _run_due_retries(redis_url)
    work(app)
    assert [r.status for r in _rows()] == [status, "SUCCESS"]


def test_pending_too_long_is_retried_and_a_disabled_job_is_not(app, lab):
    from datetime import timedelta

    from jobs.reaper import reap
    from webapp.models.base import utcnow

    olt = make_olt(lab, "huawei-a")
    kept = make_job([olt], name="kept", max_retries=1)
    off = make_job([olt], name="off", max_retries=1)
    run_jobs_now([kept.id, off.id], trigger="schedule")
    off.enabled = False
    db.session.commit()
    assert reap(utcnow() + timedelta(hours=2))["failed_pending"] == 2
    rows = _rows()
    assert [(r.job_name, r.status, r.attempt) for r in rows] == [
        ("kept", "FAILED", 0),
        ("off", "FAILED", 0),
        ("kept", "PENDING", 1),  # the disabled job's run is not retried
    ]
    assert rows[0].error.startswith("still pending after 3600 s")


def test_a_job_timeout_outside_the_poll_is_retried(app, lab):
    """A failure recorded on the way out of the worker (here the job timeout) retries too."""
    from jobs.runner import _fail_quietly

    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt], max_retries=1).id], trigger="schedule")
    (ex,) = _rows()
    _fail_quietly(ex.id, "timed out after 300 s")
    first, retry = _rows()
    assert (first.status, first.error) == ("FAILED", "timed out after 300 s")
    assert (retry.attempt, retry.retry_of_id) == (1, first.id)
    _fail_quietly(first.id, "again")  # already ended: nothing changes, no second retry
    assert len(_rows()) == 2 and _rows()[0].error == "timed out after 300 s"
