"""Redis losing its data (FLUSHALL, or a restart without persistence) with everything running.

A real redis-server of the test's own, the real scheduler process and a real worker pool:
after the loss the scheduler schedules its tick again, the workers register again, the
PENDING executions whose queue entry vanished run, a scheduled job is dispatched again, and
/health is 200 again within 30 s.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from rq.job import Job
from rq_scheduler import Scheduler
from sqlalchemy import select

from jobs.dispatch import enqueue_later
from jobs.queues import get_redis
from jobs.scheduler import TICK_JOB_ID
from jobs.workers import ROOT, worker_pool_command
from tests.conftest import worker_env
from tests.factories import make_job, make_olt
from webapp.devstack import free_tcp_port, start_redis, stop_process
from webapp.extensions import db, read_only
from webapp.models import Execution
from webapp.models.base import utcnow

RECOVERY_S = 30  # the bound for /health


def _wait(condition, limit: float, step: float = 0.5):
    """Poll condition() until it returns something truthy or the limit passes (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def _statuses() -> dict[int, str]:
    with read_only():  # polling must not hold SQLite's write lock against the workers
        rows = dict(db.session.execute(select(Execution.id, Execution.status)).all())
        db.session.commit()
    return rows


@pytest.mark.parametrize("loss", ["flushall", "restart"])
def test_everything_comes_back_after_redis_loses_its_data(
    app, client, lab, database_url, tmp_path, loss
):
    port = free_tcp_port()
    url = f"redis://127.0.0.1:{port}/0"
    app.config.update(REDIS_URL=url, PENDING_GRACE=1)
    server = start_redis(tmp_path / "redis-1", port)
    env = worker_env(database_url, url) | {"PENDING_GRACE": "1"}
    logs = (tmp_path / "processes.log").open("wb")
    common = dict(cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True)
    scheduler = subprocess.Popen(
        [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "1"], **common
    )
    workers = subprocess.Popen(worker_pool_command(2), **common)
    try:
        assert _wait(lambda: client.get("/health").status_code == 200, 60), client.get(
            "/health"
        ).get_json()
        redis = get_redis(url)
        # PENDING executions whose queue entries will vanish: delayed RQ jobs, as lock
        # waits and retries are (enqueue_later), due in 10 minutes
        olts = [make_olt(lab, "huawei-a"), make_olt(lab, "zte-a", brand_name="ZTE")]
        jobs = [
            make_job(olts[:1], interval=None),  # manual: only this test runs them
            make_job(olts[1:], name="z", brand_name="ZTE", interval=None),
        ]
        pending = []
        for job in jobs:
            host = job.hosts[0]
            ex = Execution(
                job_id=job.id, job_host_id=host.id, olt_id=host.olt_id, job_name=job.name,
                olt_name=host.olt.name, trigger="cli",
            )  # fmt: skip
            db.session.add(ex)
            db.session.commit()
            ex.rq_job_id = enqueue_later(ex, 600)
            db.session.commit()
            pending.append(ex.id)
        assert all(Job.exists(f"execution-{i}", connection=redis) for i in pending)

        lost_at = time.monotonic()
        if loss == "flushall":
            redis.flushall()
        else:
            stop_process(server, "redis-server", grace=5)
            server = start_redis(tmp_path / "redis-2", port)  # keeps nothing

        def recovered() -> dict | None:
            # /health can turn 200 a moment before the tick is scheduled again: a tick that
            # was running when Redis lost its data notes its end in the new Redis, and the
            # scheduler's next pass (one period later) schedules the tick again
            r = client.get("/health")
            body = r.get_json()
            ticking = TICK_JOB_ID in Scheduler(queue_name="control", connection=redis)
            return (
                body if r.status_code == 200 and body["workers"]["count"] == 2 and ticking else None
            )

        body = _wait(recovered, RECOVERY_S + 10)
        took = time.monotonic() - lost_at
        assert body and took <= RECOVERY_S, (took, client.get("/health").get_json())
        assert body["scheduler"]["ok"] and body["redis"]["ok"]

        # the PENDING executions run (queued again by the reaper), and scheduling works again
        done = _wait(lambda: all(_statuses()[i] == "SUCCESS" for i in pending), 60)
        assert done, _statuses()
        scheduled = make_job(olts[:1], name="scheduled", interval="1h", next_run_at=utcnow())

        def scheduled_run_succeeded() -> bool:
            with read_only():
                status = db.session.scalar(
                    select(Execution.status).where(
                        Execution.job_id == scheduled.id, Execution.trigger == "schedule"
                    )
                )
                db.session.commit()
            return status == "SUCCESS"

        assert _wait(scheduled_run_succeeded, 60), _statuses()
    finally:
        for proc, name in ((scheduler, "scheduler"), (workers, "worker pool")):
            stop_process(proc, name, grace=15)
        stop_process(server, "redis-server", grace=5)
        logs.close()
        lines = (tmp_path / "processes.log").read_text().splitlines()
        notable = [line for line in lines if " jobs." in line or "ERROR" in line]
        print("\n".join(notable[-150:]))  # shown when the test fails
