"""Faults done for real: a worker killed mid-walk, Redis restarted, a job timeout, an OLT that
stops answering or answers garbage. Nothing is left RUNNING, PENDING or locked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.locks import lock_name
from jobs.queues import get_redis
from jobs.reaper import reap
from jobs.workers import ROOT
from tests.conftest import worker_env
from tests.factories import make_job, make_olt
from tests.test_runner import work
from webapp.devstack import free_tcp_port, start_redis, stop_process
from webapp.extensions import db
from webapp.models import Execution, Onu
from webapp.models.base import utcnow

v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
COLUMN = (1, 3, 6, 1, 4, 1, 2011, 6, 128, 1, 1, 2, 46, 1, 15)


class UdpStub(threading.Thread):
    """An agent in a thread: `answer(n, request_id, names)` gives the varbinds of reply n
    (None = stay silent)."""

    def __init__(self, answer):
        super().__init__(daemon=True)
        self.answer, self.sock = answer, socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port, self.stopped, self.count = self.sock.getsockname()[1], False, 0

    def run(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            msg, _ = decoder.decode(data, asn1Spec=v2c.Message())
            pdu = v2c.apiMessage.get_pdu(msg)
            names = [tuple(n) for n, _ in v2c.apiPDU.get_varbinds(pdu)]
            pairs = self.answer(self.count, names)
            self.count += 1
            if pairs is not None:
                self.sock.sendto(_reply(int(v2c.apiPDU.get_request_id(pdu)), pairs), addr)

    def stop(self):
        self.stopped = True
        self.join(2)
        self.sock.close()


def _reply(request_id, pairs):
    pdu = v2c.GetResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_varbinds(pdu, [(n, v2c.Integer(v)) for n, v in pairs])
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, "stub")
    v2c.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def _rows(n, start=0):
    return [(COLUMN + (4194312448, i), 1) for i in range(start, start + n)]


def _status():
    db.session.expire_all()
    rows = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    result = [(r.olt_name, r.status, r.error) for r in rows]
    db.session.commit()  # SQLite: hold no transaction (it holds the write lock) while waiting
    return result


@pytest.mark.parametrize("fault", ["garbage", "silent"])
def test_bad_olt_fails_alone_and_writes_nothing(app, lab, fault):
    def answer(n, names):
        if n == 0:
            return _rows(5)
        if fault == "garbage":
            return _rows(2, start=1)  # goes backwards: a non-increasing OID loop
        return None  # stops answering mid-run

    stub = UdpStub(answer)
    stub.start()
    try:
        bad = make_olt(
            None,
            "bad",
            snmp_port=stub.port,
            community="stub",
            timeout=0.5,
            retries=0,
            max_repetitions=5,
        )
        good = make_olt(lab, "huawei-a")
        run_jobs_now([make_job([bad, good]).id], trigger="cli", label="t")
        work(app)
    finally:
        stub.stop()
    (bad_row, good_row) = _status()
    assert bad_row[1] == "FAILED" and good_row[1] == "SUCCESS"
    expected = "malformed response" if fault == "garbage" else "did not answer within 0.5 s"
    assert expected in bad_row[2]
    assert db.session.scalar(select(Onu).where(Onu.olt_id == bad.id)) is None  # no partial write
    assert get_redis(app.config["REDIS_URL"]).get(lock_name(bad.id)) is None


def test_walk_longer_than_the_job_timeout_fails_and_frees_the_lock(app):
    app.config["JOB_TIMEOUT"] = 2
    stub = UdpStub(lambda n, names: None)  # never answers: the walk would take 3 x 3 s
    stub.start()
    try:
        olt = make_olt(None, "slow", snmp_port=stub.port, timeout=3, retries=2)
        run_jobs_now([make_job([olt]).id], trigger="cli", label="t")
        work(app)
    finally:
        stub.stop()
    [(name, status, error)] = _status()
    assert status == "FAILED" and error.startswith("timed out after 2 s")
    assert get_redis(app.config["REDIS_URL"]).get(lock_name(olt.id)) is None


def test_killed_worker_is_reaped_and_the_olt_runs_again(
    app, lab, database_url, redis_url, tmp_path
):
    for key, value in {"ALIVE_TTL": 2, "JOB_TIMEOUT": 60}.items():
        app.config[key] = value
    stub = UdpStub(lambda n, names: None)  # a walk that hangs until the worker is killed
    stub.start()
    env = worker_env(database_url, redis_url) | {
        "LOCK_TTL": "4",
        "HEARTBEAT_SECONDS": "1",
        "ALIVE_TTL": "2",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "rq"),
            "worker",
            "discovery_main",
            "-u",
            redis_url,
            "-w",
            "jobs.workers.OltWorker",
            "-P",
            str(ROOT),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        olt = make_olt(None, "victim", snmp_port=stub.port, timeout=5, retries=5)
        job = make_job([olt])
        run_jobs_now([job.id], trigger="cli", label="t")
        db.session.commit()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _status()[0][1] != "RUNNING":
            time.sleep(0.2)
        assert _status()[0][1] == "RUNNING", (tmp_path / "worker.log").read_text()[-3000:]
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children == [], "the worker walks itself: no work-horse is forked"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        time.sleep(3)  # no heartbeat for longer than ALIVE_TTL
        assert reap(utcnow())["lost"] == 0  # missing once: only suspect
        assert _status()[0][1] == "RUNNING"
        later = utcnow() + timedelta(seconds=2 * app.config["HEARTBEAT_SECONDS"])
        assert reap(later)["lost"] == 1  # still missing two beat periods later
        assert _status() == [("victim", "INTERRUPTED", "worker lost (no heartbeat)")]
        redis = get_redis(redis_url)
        deadline = time.monotonic() + 10  # the lock frees itself by its TTL
        while time.monotonic() < deadline and redis.get(lock_name(olt.id)):
            time.sleep(0.2)
        assert redis.get(lock_name(olt.id)) is None
    finally:
        stub.stop()
        stop_process(worker, "rq worker", grace=5)
        log.close()
    olt.snmp_port, olt.community = lab.port, "huawei-a"  # the OLT is back
    db.session.commit()
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    assert _status()[1][1] == "SUCCESS"


def test_redis_restart_with_pending_executions(app, lab, tmp_path):
    port = free_tcp_port()
    url = f"redis://127.0.0.1:{port}/0"
    app.config.update(REDIS_URL=url, PENDING_GRACE=0)
    server = start_redis(tmp_path / "r1", port)
    try:
        olts = [make_olt(lab, "huawei-a"), make_olt(lab, "zte-a", brand_name="ZTE")]
        run_jobs_now(
            [make_job(olts[:1]).id, make_job(olts[1:], name="z", brand_name="ZTE").id],
            trigger="cli",
            label="t",
        )
        stop_process(server, "redis-server", grace=5)  # keeps nothing: the queue is gone
        server = start_redis(tmp_path / "r2", port)
        assert get_redis(url).dbsize() == 0
        assert reap(utcnow()) == {
            "lost": 0,
            "requeued": 2,
            "failed_pending": 0,
            "released": 0,
            "handed_over": 0,
        }
        work(app)
        assert [s for _, s, _ in _status()] == ["SUCCESS", "SUCCESS"]
    finally:
        stop_process(server, "redis-server", grace=5)


def test_pending_far_too_long_is_failed(app, lab):
    run_jobs_now([make_job([make_olt(lab, "huawei-a")]).id], trigger="cli", label="t")
    report = reap(utcnow() + timedelta(hours=2))
    assert report == {
        "lost": 0,
        "requeued": 0,
        "failed_pending": 1,
        "released": 0,
        "handed_over": 0,
    }
    [(name, status, error)] = _status()
    assert status == "FAILED" and error.startswith("still pending after 3600 s")


@pytest.mark.parametrize("rq_state", ["failed", "started-long-ago", "popped"])
def test_pending_whose_rq_job_died_is_enqueued_again(app, lab, rq_state):
    """A worker killed before it marked its execution RUNNING leaves it PENDING."""
    from datetime import UTC, datetime, timedelta

    from rq.job import Job, JobStatus

    app.config["PENDING_GRACE"] = 0
    [ex_id] = run_jobs_now(
        [make_job([make_olt(lab, "huawei-a")]).id], trigger="cli", label="t"
    ).execution_ids
    redis = get_redis(app.config["REDIS_URL"])
    job = Job.fetch(f"execution-{ex_id}", connection=redis)
    from rq import Queue

    Queue("discovery_main", connection=redis).remove(job)  # a worker had taken it
    if rq_state == "failed":
        job.set_status(JobStatus.FAILED)
    elif rq_state == "popped":
        pass  # still "queued", but in no queue: its worker died right after taking it
    else:
        job.set_status(JobStatus.STARTED)
        job.heartbeat(datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10), ttl=600)
    assert reap(utcnow())["requeued"] == 1
    work(app)
    assert [s for _, s, _ in _status()] == ["SUCCESS"]
