"""Retries of failed scheduled runs: a new execution (attempt 1, 2…) after the job's delay."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from jobs import metrics
from jobs.dispatch import enqueue_later
from jobs.errors import disabled_reason
from jobs.messages import Message
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.executions import FAILED, INTERRUPTED

log = logging.getLogger(__name__)
RETRIED_TRIGGERS = ("schedule", "retry")  # manual and CLI runs are not retried


def schedule_retry(failed: Execution) -> Execution | None:
    """Create and schedule the next attempt of a failed scheduled run, if the job allows one.

    Every way a run can fail counts (an error, a timeout, a lost worker or lock, pending too
    long), whoever decided it; an execution stopped because its job, OLT or job host was
    disabled or deleted is not retried (nor one a user cancelled: that never calls this).
    """
    job = failed.job
    if (
        failed.status not in (FAILED, INTERRUPTED)
        or failed.trigger not in RETRIED_TRIGGERS
        or job is None
        or not job.enabled
        or failed.attempt >= (job.max_retries or 0)
        or disabled_reason(failed) is not None
    ):
        return None
    retry = Execution(
        job_id=failed.job_id,
        job_host_id=failed.job_host_id,
        olt_id=failed.olt_id,
        job_name=failed.job_name,
        olt_name=failed.olt_name,
        job_type=failed.job_type,
        requested_by_name="",
        trigger="retry",
        queue=failed.queue,
        attempt=failed.attempt + 1,
        retry_of_id=failed.retry_of_id or failed.id,
    )
    db.session.add(retry)
    try:
        db.session.commit()
    except IntegrityError:  # another run of this job on this OLT is already pending
        db.session.rollback()
        log.info("execution %s failed; not retried: its job already runs on its OLT", failed.id)
        return None
    try:
        rq_id = enqueue_later(retry, job.retry_delay or 30, note=f", retry {retry.attempt}")
    except RedisError as exc:
        retry.finish(FAILED, error=Message("retry_not_queued", detail=str(exc)))
        db.session.commit()
        return retry
    retry.rq_job_id = rq_id
    db.session.commit()
    metrics.retry_queued()
    log.info(
        "execution %s failed; retry %d is execution %s in %s s",
        failed.id,
        retry.attempt,
        retry.id,
        job.retry_delay,
    )
    return retry
