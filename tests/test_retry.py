"""Failed scheduled runs are retried as new, linked executions; manual runs are not."""

from __future__ import annotations

import socket

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
