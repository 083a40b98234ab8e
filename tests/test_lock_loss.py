"""A run that loses its OLT lock stops and stores nothing; an execution ends exactly once.

A slow agent (a real UDP socket answering GETBULKs 0.2 s apart) keeps a discovery busy for
about 12 s while the test takes the lock away, or ends the execution behind the worker's
back as the reaper would.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, update

from jobs.dispatch import run_jobs_now
from jobs.locks import Heartbeat, lock_name, olt_lock
from jobs.queues import get_redis
from tests.factories import make_job, make_olt
from tests.test_runner import work
from tests.test_self_healing import COLUMN, UdpStub, _rows
from webapp.devstack import free_tcp_port, start_redis, stop_process
from webapp.extensions import db
from webapp.models import Execution, Onu

ANSWERS = 60  # 0.2 s each: the whole walk would take about 12 s


def _slow(n, names):
    time.sleep(0.2)
    if n >= ANSWERS:
        return [(COLUMN[:-1] + (16, 0), 0)]  # the next column: the walk ends
    return _rows(5, start=5 * n)


def _slow_olt(stub):
    return make_olt(None, "slow", snmp_port=stub.port, community="stub", max_repetitions=5)


def _when_running(app, redis, olt_id: int, action) -> threading.Thread:
    """Run ``action`` (in a thread) 0.5 s after the run took the OLT's lock."""

    def watch():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not redis.get(lock_name(olt_id)):
            time.sleep(0.05)
        time.sleep(0.5)
        with app.app_context():
            action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_run_whose_lock_is_taken_stops_at_once_and_stores_nothing(app):
    app.config["HEARTBEAT_SECONDS"] = 0.3
    redis = get_redis(app.config["REDIS_URL"])
    stub = UdpStub(_slow)
    stub.start()
    try:
        olt = _slow_olt(stub)
        job = make_job([olt], max_retries=1)
        run_jobs_now([job.id], trigger="schedule", label="")
        key = lock_name(olt.id)  # read here: ORM objects stay in this thread
        intruder = b"999|another-worker|2026-12-01T00:00:00"  # as if it expired and was taken
        thread = _when_running(app, redis, olt.id, lambda: redis.set(key, intruder, ex=60))
        work(app)
        thread.join(5)
    finally:
        stub.stop()
    first, retry = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert first.status == "INTERRUPTED", first.error
    assert first.error.startswith("stopped: its OLT lock was lost") and "nothing was stored" in (
        first.error
    )
    reason = {"code": "lock_expired", "params": {}}  # stored as codes: read in any language
    assert (first.error_code, first.error_params) == ("lock_lost", {"reason": reason})
    assert stub.count < ANSWERS // 2  # the walk was stopped, not run to its end
    assert db.session.scalar(select(func.count(Onu.id))) == 0
    assert redis.get(lock_name(olt.id)) == intruder  # the other run's lock is left alone
    # a lost lock is a failure like any other: the job's retry policy applies
    assert (retry.status, retry.attempt, retry.retry_of_id) == ("PENDING", 1, first.id)


def test_the_reapers_decision_stands_over_a_late_result(app):
    """The reaper (here: the test) ends the execution first; the worker's result is dropped."""
    redis = get_redis(app.config["REDIS_URL"])
    stub = UdpStub(lambda n, names: _slow(n + ANSWERS - 10, names))  # about 2 s of walk
    stub.start()
    try:
        olt = _slow_olt(stub)
        run_jobs_now([make_job([olt]).id], trigger="cli", label="t")

        def reaper():
            db.session.execute(
                update(Execution)
                .where(Execution.status == "RUNNING")
                .values(status="INTERRUPTED", error="worker lost (no heartbeat)")
            )
            db.session.commit()

        thread = _when_running(app, redis, olt.id, reaper)
        work(app)
        thread.join(5)
    finally:
        stub.stop()
    (ex,) = db.session.scalars(select(Execution)).all()
    assert (ex.status, ex.error) == ("INTERRUPTED", "worker lost (no heartbeat)")
    assert ex.summary == {}  # the late run wrote neither its summary
    assert db.session.scalar(select(func.count(Onu.id))) == 0  # nor its ONUs


def test_a_heartbeat_that_cannot_reach_redis_for_longer_than_the_lock_ttl_gives_up(tmp_path):
    port = free_tcp_port()
    server = start_redis(tmp_path / "redis", port)
    redis = get_redis(f"redis://127.0.0.1:{port}/0")
    lock = olt_lock(redis, 7, timeout=1)
    assert lock.acquire(token="1|w|now")
    beat = Heartbeat(redis, 1, lock, "w", every=0.2, ttl=2)
    try:
        with beat:
            beat.check()  # fine while Redis answers
            stop_process(server, "redis-server", grace=5)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not beat.lost.is_set():
                time.sleep(0.1)
            assert beat.lost.is_set()
            assert "Redis unreachable for more than 1 s" in beat.reason
            with pytest.raises(Exception, match="Redis unreachable"):
                beat.check()
    finally:
        stop_process(server, "redis-server", grace=5)
