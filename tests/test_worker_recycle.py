"""Workers run their jobs themselves: recycling and the overrun watchdog (jobs/workers.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from rq import Queue

from jobs.dispatch import run_jobs_now
from jobs.queues import get_redis
from jobs.workers import own_memory, worker_pool_command
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt
from tests.test_e2e_workers import _wait_all_terminal
from webapp.devstack import stop_process
from webapp.extensions import db

pytestmark = pytest.mark.e2e


def _pool(database_url, redis_url, log_path, **env):
    """`manage_cli.py worker --workers 1` with these settings, its output in log_path."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            worker_pool_command(1),
            cwd=ROOT,
            env=worker_env(database_url, redis_url) | env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.parametrize(
    "setting", [{"WORKER_MAX_JOBS": "2"}, {"WORKER_MAX_MEMORY_MB": "1"}], ids=["jobs", "memory"]
)
def test_a_worker_is_replaced_after_its_jobs_or_memory(
    app, lab, database_url, redis_url, tmp_path, setting
):
    """One worker in the pool; once due it ends after its job and a fresh one runs the rest."""
    olts = [make_olt(lab, f"olt-{n}", community="huawei-a") for n in range(3)]
    job = make_job(olts)
    log_path = tmp_path / "pool.log"
    pool = _pool(database_url, redis_url, log_path, **setting)
    try:
        report = run_jobs_now([job.id], trigger="cli", label="t")
        db.session.commit()
        rows = _wait_all_terminal(report.execution_ids, timeout=120)
    finally:
        stop_process(pool, "worker pool")
    text = log_path.read_text()
    assert {r.status for r in rows} == {"SUCCESS"}, [(r.id, r.error) for r in rows]
    by_start = [r.worker_name for r in sorted(rows, key=lambda r: r.started_at)]
    if "WORKER_MAX_JOBS" in setting:
        assert by_start[0] == by_start[1] != by_start[2], by_start
        assert "ending after 2 jobs run (WORKER_MAX_JOBS)" in text
        # the ended worker ran the queue's RQ scheduler: its successor runs it again
        assert text.count("Acquired scheduler lock for discovery_main") == 2, text[-3000:]
    else:  # every job leaves the worker over 1 MB of its own: one worker per job
        assert len(set(by_start)) == 3, by_start
        assert text.count("of its own memory (WORKER_MAX_MEMORY_MB)") >= 2


def test_own_memory_counts_what_this_process_writes():
    before = own_memory()
    block = bytearray(64 * 2**20)  # zero pages: written now, so private
    block[::4096] = b"x" * len(block[::4096])
    assert own_memory() - before >= 60 * 2**20
    del block


def ignore_the_timeout(seconds: float) -> None:
    """An RQ job that swallows RQ's timeout and goes on, as code stuck in C would."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except BaseException:  # noqa: BLE001, S110 (JobTimeoutException, on purpose)
            pass


def test_a_job_that_ignores_its_timeout_ends_its_worker(app, database_url, redis_url, tmp_path):
    """The watchdog ends the worker (exit 70) past timeout + grace, as RQ killed a horse."""
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    queue.enqueue(ignore_the_timeout, 60, job_timeout=1)
    command = (
        "import sys, jobs.workers as w; w.OVERRUN_GRACE = 1; sys.argv[0] = 'rq';"
        "from rq.cli import main; main()"
    )
    worker = [sys.executable, "-c", command, "worker", "discovery_main", "-u", redis_url]
    worker += ["-w", "jobs.workers.OltWorker", "-P", str(ROOT), "--burst"]
    started = time.monotonic()
    proc = subprocess.run(
        worker,
        cwd=ROOT,
        env=worker_env(database_url, redis_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 70, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert time.monotonic() - started < 30
    assert "still running 1 s past its 1 s timeout; ending the worker" in proc.stderr
