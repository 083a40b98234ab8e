"""Two worker hosts: two pools under different host names against one Redis and one database.

Each pool is `manage_cli.py worker` as a host runs it, told its host name by
OLTWATCH_HOSTNAME. Many executions on few OLTs: both hosts work, every execution ends, and
no two executions of one OLT ever overlap, whichever host ran them.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from rq import Worker
from sqlalchemy import select

from jobs.dispatch import enqueue_later, run_jobs_now
from jobs.queues import get_redis
from jobs.workers import worker_pool_command
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt
from tests.test_sentinel import _pending, one_scheduler, pool_schedulers
from webapp.devstack import stop_process
from webapp.extensions import db, read_only
from webapp.models import Execution
from webapp.models.executions import TERMINAL

pytestmark = pytest.mark.e2e

HOSTS = ("host-a", "host-b")
WORKERS_PER_HOST = 3
OLTS = 3
JOBS = 8  # each on every OLT: 24 executions, 8 per OLT, all wanted at once


def _wait(condition, limit: float, step: float = 0.5):
    """Poll condition() until it returns something truthy or the limit passes (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def _workers_by_host(redis) -> Counter:
    return Counter(w.name.split(".", 1)[0] for w in Worker.all(connection=redis))


def _rows(ids: list[int]) -> list:
    """Plain rows, not ORM objects: an expired object read after the commit would begin a
    writing transaction (SQLite's write lock, held against the workers until the next poll)."""
    columns = (Execution.id, Execution.olt_id, Execution.status, Execution.error)
    columns += (Execution.worker_name, Execution.started_at, Execution.finished_at)
    with read_only():
        rows = db.session.execute(select(*columns).where(Execution.id.in_(ids))).all()
        db.session.commit()
    return rows


@pytest.fixture
def two_pools(database_url, redis_url, tmp_path):
    """One pool per host name, both on the test's Redis and database; their logs on failure."""
    procs, logs = [], []
    for host in HOSTS:
        env = worker_env(database_url, redis_url) | {"OLTWATCH_HOSTNAME": host}
        log = (tmp_path / f"{host}.log").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                worker_pool_command(WORKERS_PER_HOST),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        )
    yield procs
    for proc, host in zip(procs, HOSTS, strict=True):
        stop_process(proc, f"worker pool of {host}")
    for log, host in zip(logs, HOSTS, strict=True):
        log.close()
        print(f"--- {host}\n" + (tmp_path / f"{host}.log").read_text()[-3000:])


def test_two_hosts_share_the_work_and_never_poll_one_olt_twice_at_once(
    app, lab, redis_url, two_pools
):
    redis = get_redis(redis_url)
    wanted = Counter(dict.fromkeys(HOSTS, WORKERS_PER_HOST))
    assert _wait(lambda: _workers_by_host(redis) == wanted, 60), _workers_by_host(redis)
    # several OLT rows on one simulated agent: the lock is per OLT row, not per address
    olts = [make_olt(lab, f"olt-{n}", community="huawei-a") for n in range(OLTS)]
    jobs = [make_job(olts, name=f"discovery {n}", interval=None).id for n in range(JOBS)]
    olt_ids = {o.id: o.name for o in olts}
    report = run_jobs_now(jobs, trigger="manual", label="two-pools")
    assert report.created == report.enqueued == JOBS * OLTS, report.queue_error
    ids = report.execution_ids

    ended = _wait(lambda: all(r.status in TERMINAL for r in _rows(ids)), 180)
    rows = _rows(ids)
    assert ended, Counter(r.status for r in rows)
    assert {r.status for r in rows} == {"SUCCESS"}, [(r.id, r.status, r.error) for r in rows]
    ran_on = Counter(r.worker_name.split(".", 1)[0] for r in rows)
    assert set(ran_on) == set(HOSTS), ran_on
    for olt_id, name in olt_ids.items():
        runs = sorted((r for r in rows if r.olt_id == olt_id), key=lambda r: r.started_at)
        assert len(runs) == JOBS
        for before, after in itertools.pairwise(runs):
            assert after.started_at >= before.finished_at, (
                f"OLT {name}: execution {after.id} on {after.worker_name} started before "
                f"execution {before.id} on {before.worker_name} had finished"
            )


def _delayed_run(host_id: int, seconds: float) -> int:
    """A PENDING execution whose RQ job waits `seconds` in RQ's scheduled registry."""
    ex = _pending(host_id)
    ex.rq_job_id = enqueue_later(ex, seconds)
    db.session.commit()
    return ex.id


def test_one_scheduler_runs_across_two_pools_and_comes_back_when_killed(
    app, lab, redis_url, two_pools
):
    """Each pool's workers all start RQ's scheduler; its lock lets one run for the queue.
    Killed, it is started again within a heartbeat or two (RQ alone: in 10 minutes), still
    the only one, and delayed jobs move again (no tick runs here to move them instead)."""
    redis = get_redis(redis_url)
    queue = app.config["QUEUE_NAME"]
    wanted = Counter(dict.fromkeys(HOSTS, WORKERS_PER_HOST))
    assert _wait(lambda: _workers_by_host(redis) == wanted, 60), _workers_by_host(redis)
    first = _wait(lambda: one_scheduler(redis, queue), 30)
    assert first, pool_schedulers(redis, queue)
    host_id = make_job([make_olt(lab, "olt", community="huawei-a")], interval=None).hosts[0].id
    ex_id = _delayed_run(host_id, 1)
    ran = _wait(lambda: [r.status for r in _rows([ex_id])] == ["SUCCESS"], 30)
    assert ran, _rows([ex_id])

    os.kill(int(first["pid"]), signal.SIGKILL)
    killed_at = time.monotonic()
    ex_id = _delayed_run(host_id, 1)
    again = _wait(lambda: (s := one_scheduler(redis, queue)) and s["pid"] != first["pid"] and s, 60)
    assert again, pool_schedulers(redis, queue)
    assert time.monotonic() - killed_at < 45  # a heartbeat or two, not RQ's 10 minutes
    assert again["name"] == first["name"]  # its own worker started it again: its lock
    ran = _wait(lambda: [r.status for r in _rows([ex_id])] == ["SUCCESS"], 30)
    assert ran, _rows([ex_id])
    assert len(pool_schedulers(redis, queue)) == 1, pool_schedulers(redis, queue)
