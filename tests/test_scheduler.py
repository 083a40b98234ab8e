"""The periodic tick: due jobs run once, on time, never twice; the scheduler process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from jobs.queues import get_redis
from jobs.scheduler import dispatch_due_jobs
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt
from webapp.devstack import stop_process
from webapp.extensions import db
from webapp.models import Execution, SnmpJob
from webapp.models.base import utcnow


def executions() -> int:
    return db.session.scalar(select(func.count()).select_from(Execution))


def test_due_jobs_run_and_move_on_from_now(app, lab):
    now = utcnow()
    olts = [make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")]
    due = make_job(olts, name="due", next_run_at=now - timedelta(hours=5))  # missed many slots
    later = make_job(olts, name="later", next_run_at=now + timedelta(minutes=1))
    off = make_job(olts, name="off", enabled=False, next_run_at=now - timedelta(minutes=1))
    new = make_job(olts[:1], name="new", next_run_at=None)
    summary = dispatch_due_jobs(now)
    assert summary == {"due": 2, "claimed": 2, "created": 3, "skipped_active": 0, "bad_schedule": 0}
    db.session.expire_all()
    assert db.session.get(SnmpJob, due.id).next_run_at == now + timedelta(minutes=5)  # once
    assert db.session.get(SnmpJob, new.id).next_run_at == now + timedelta(minutes=5)
    assert db.session.get(SnmpJob, later.id).last_run_at is None
    assert db.session.get(SnmpJob, off.id).last_run_at is None
    rows = db.session.scalars(select(Execution)).all()
    assert {(r.job_name, r.trigger, r.requested_by_id) for r in rows} == {
        ("due", "schedule", None),
        ("new", "schedule", None),
    }
    # The next tick finds nothing due; a tick after the slot skips the still-pending pairs.
    assert dispatch_due_jobs(now + timedelta(seconds=10))["claimed"] == 0
    again = dispatch_due_jobs(now + timedelta(minutes=6))
    # "later" is due too by then: it runs; the other two still have PENDING executions.
    assert again["claimed"] == 3 and again["created"] == 2 and again["skipped_active"] == 3


def test_an_interval_job_keeps_its_slot_when_the_tick_comes_late(app, lab):
    slot = utcnow().replace(microsecond=0) - timedelta(seconds=7)
    job = make_job([make_olt(lab, "huawei-a")], name="every 5m", next_run_at=slot)
    assert dispatch_due_jobs(slot + timedelta(seconds=7))["created"] == 1
    db.session.expire_all()
    assert db.session.get(SnmpJob, job.id).next_run_at == slot + timedelta(minutes=5)
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.scheduled_for == slot  # the lag is measured from the slot


def test_a_slot_within_the_horizon_is_queued_for_its_time(app, lab, redis_url):
    now = utcnow().replace(microsecond=0)
    olt = make_olt(lab, "huawei-a")
    soon = make_job([olt], name="soon", next_run_at=now + timedelta(seconds=5))
    later = make_job([olt], name="later", next_run_at=now + timedelta(seconds=30))
    summary = dispatch_due_jobs(now, horizon=20)
    assert summary["claimed"] == 1 and summary["created"] == 1
    db.session.expire_all()
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.job_id == soon.id and ex.scheduled_for == now + timedelta(seconds=5)
    assert db.session.get(SnmpJob, soon.id).next_run_at == now + timedelta(minutes=5, seconds=5)
    assert db.session.get(SnmpJob, later.id).next_run_at == now + timedelta(seconds=30)
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    assert queue.count == 0  # not queued yet: RQ's scheduler queues it at its slot
    registry = ScheduledJobRegistry(queue=queue)
    assert registry.get_job_ids() == [f"execution-{ex.id}"]
    due_at = registry.get_scheduled_time(f"execution-{ex.id}")
    assert due_at == now + timedelta(seconds=5)
    assert dispatch_due_jobs(now + timedelta(seconds=1), horizon=20)["claimed"] == 0


def test_cron_job_is_scheduled_in_local_time(app, lab):
    app.config["TIMEZONE"] = "America/Lima"
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    job = make_job(
        [make_olt(lab, "huawei-a")],
        interval=None,
        cron="0 8 * * *",
        next_run_at=now - timedelta(minutes=1),
    )
    dispatch_due_jobs(now)
    db.session.expire_all()
    assert db.session.get(SnmpJob, job.id).next_run_at == now.replace(hour=13)  # 08:00 Lima


def test_two_ticks_at_once_dispatch_a_job_once(app, lab):
    olts = [make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")]
    now = utcnow()
    for n in range(5):
        make_job(olts, name=f"job {n}", next_run_at=now - timedelta(seconds=1))
    db.session.commit()
    barrier, results = threading.Barrier(2), []

    def one_tick():
        with app.app_context():
            barrier.wait()
            results.append(dispatch_due_jobs(now))
            db.session.remove()

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r["claimed"] for r in results) == 5
    assert executions() == 10  # 5 jobs x 2 OLTs, not twice that


def test_two_scheduler_processes_dispatch_each_slot_once(app, lab, database_url, redis_url):
    olt = make_olt(lab, "huawei-a")
    job_id = make_job([olt], interval="1h", next_run_at=None).id
    db.session.commit()
    env = worker_env(database_url, redis_url)
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and executions() == 0:
            db.session.commit()
            time.sleep(0.3)
        time.sleep(4)  # several more ticks of both schedulers
        db.session.commit()
        rows = db.session.scalars(select(Execution)).all()
        assert [(r.job_id, r.trigger) for r in rows] == [(job_id, "schedule")]
    finally:
        for p in procs:
            stop_process(p, "scheduler", grace=10)


def test_the_scheduler_stops_at_once_on_sigterm_after_ticking(app, database_url, redis_url):
    """A stop must not be forgotten because the tick's worker replaced the signal handlers."""
    from jobs.queues import get_redis
    from jobs.scheduler import LAST_TICK_KEY

    redis = get_redis(redis_url)
    redis.delete(LAST_TICK_KEY)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "1"],
        cwd=ROOT,
        env=worker_env(database_url, redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        ticks = set()
        while time.monotonic() < deadline and len(ticks) < 3:  # the tick's worker has run
            ticks.add(redis.get(LAST_TICK_KEY))
            ticks.discard(None)
            time.sleep(0.2)
        assert len(ticks) >= 3, "the scheduler did not tick"
        for _ in range(5):  # whenever the signal lands: in a tick, or between ticks
            time.sleep(0.37)
        proc.terminate()
        started = time.monotonic()
        rc = proc.wait(10)
        took = time.monotonic() - started
        output = proc.stdout.read().decode()
        assert rc == 0 and took < 5, (rc, took, output[-2000:])
        assert "Traceback" not in output, output[-2000:]
    finally:
        stop_process(proc, "scheduler", grace=1)
        proc.stdout.close()
