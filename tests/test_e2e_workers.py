"""End to end with real forking workers: `rq worker-pool` against the test database."""

from __future__ import annotations

import itertools
import subprocess
import time

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.workers import worker_pool_command
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt, make_user
from webapp.devstack import stop_process
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.executions import TERMINAL

pytestmark = pytest.mark.e2e


def _wait_all_terminal(ids: list[int], timeout: float) -> list[Execution]:
    deadline = time.monotonic() + timeout
    query = select(Execution.id, Execution.status).where(Execution.id.in_(ids))
    while time.monotonic() < deadline:
        states = dict(db.session.execute(query).all())
        db.session.commit()  # SQLite: hold no transaction (no lock) while waiting
        if all(s in TERMINAL for s in states.values()):
            return db.session.scalars(select(Execution).where(Execution.id.in_(ids))).all()
        time.sleep(0.5)
    raise AssertionError(f"executions not finished after {timeout} s: {states}")


@pytest.fixture
def worker_pool(database_url, redis_url, tmp_path):
    """Start `rq worker-pool` with 4 workers; stop it (warm) afterwards; show its log."""
    env = worker_env(database_url, redis_url)
    log_path = tmp_path / "workers.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            worker_pool_command(4),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield proc
    stop_process(proc, "worker pool")
    print(log_path.read_text()[-5000:])  # shown by pytest when the test fails


def test_pool_runs_everything_and_never_polls_one_olt_twice_at_once(app, lab, worker_pool):
    user = make_user("noc")
    big, small = make_olt(lab, "huawei-big"), make_olt(lab, "huawei-a")
    jobs = [make_job([big, small], name=f"discovery {n}") for n in range(4)]
    report = run_jobs_now([j.id for j in jobs], user)
    user_id, big_id, small_id = user.id, big.id, small.id
    db.session.commit()
    assert report.created == 8 and report.enqueued == 8
    rows = _wait_all_terminal(report.execution_ids, timeout=120)

    assert {r.status for r in rows} == {"SUCCESS"}, [(r.id, r.error) for r in rows]
    assert all(r.worker_name and r.requested_by_id == user_id for r in rows)
    for olt_id in (big_id, small_id):
        runs = sorted((r for r in rows if r.olt_id == olt_id), key=lambda r: r.started_at)
        for before, after in itertools.pairwise(runs):
            assert after.started_at >= before.finished_at, "two polls of one OLT overlapped"
    # Four executions wanted each OLT at once: some had to wait for its lock.
    assert any(r.summary.get("lock_waits") for r in rows)
    assert len({r.worker_name for r in rows}) > 1
    big_runs = [r for r in rows if r.olt_id == big_id]
    assert all(r.summary["found"] == 1200 for r in big_runs)
    assert sum(r.summary["new"] for r in big_runs) == 1200


def test_workers_and_restart_commands_against_a_real_pool(app, runner, lab, worker_pool):
    import json

    deadline = time.monotonic() + 60
    workers = []
    while time.monotonic() < deadline and len(workers) < 4:
        workers = json.loads(runner.invoke(args=["workers", "--json"]).output)
        time.sleep(0.5)
    assert len(workers) == 4 and all(w["pid"] and w["host"] for w in workers)
    before = {w["name"] for w in workers}
    text = runner.invoke(args=["workers"]).output
    assert "NAME" in text and workers[0]["name"] in text
    result = runner.invoke(args=["restart"])
    assert result.exit_code == 0 and "asked 4 workers to restart" in result.output
    deadline = time.monotonic() + 60
    fresh = set()
    while time.monotonic() < deadline and len(fresh) < 4:
        now = json.loads(runner.invoke(args=["workers", "--json"]).output)
        fresh = {w["name"] for w in now if w["state"] != "suspended"} - before
        time.sleep(0.5)
    assert len(fresh) == 4  # the pool started new workers in place of the old ones
    status = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert status["workers"]["count"] >= 4
