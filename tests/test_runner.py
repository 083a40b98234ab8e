"""The worker side through real Redis, RQ and snmpsim (jobs run in-process with SimpleWorker)."""

from __future__ import annotations

import socket
import time

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.queues import get_redis
from snmp.lab.generate import lab_onus, state_column
from tests.conftest import LAB
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution, JobHost, Olt, Onu


def work(app) -> None:
    """Run every queued job in this process, then return."""
    db.session.commit()  # SQLite: the test's own transaction must not hold the write lock
    redis = get_redis(app.config["REDIS_URL"])
    SimpleWorker([Queue("discovery_main", connection=redis)], connection=redis).work(burst=True)
    db.session.expire_all()


def only_execution() -> Execution:
    (ex,) = db.session.scalars(select(Execution)).all()
    return ex


@pytest.mark.parametrize("community,brand_name", [("huawei-a", "Huawei"), ("zte-a", "ZTE")])
def test_discovery_stores_and_decodes_every_onu(app, lab, community, brand_name):
    user = make_user()
    olt = make_olt(lab, community, brand_name=brand_name)
    job = make_job([olt], brand_name=brand_name)
    run_jobs_now([job.id], user)
    work(app)

    ex = only_execution()
    assert ex.status == "SUCCESS", ex.error
    assert ex.started_at <= ex.finished_at and ex.duration_ms >= 0 and ex.worker_name
    profile, count = LAB[community]
    expected = lab_onus(profile, count, seed=7)
    assert ex.summary["found"] == ex.summary["new"] == count
    ports = len({(e.slot, e.port) for e in lab_onus(profile, count, seed=7)})
    walk = f"per PON ({ports} ports)" if brand_name == "Huawei" else "whole column"
    assert ex.summary["walk"] == walk  # Huawei truncates whole-table walks: PON by PON
    onus = {o.position: o for o in db.session.scalars(select(Onu).where(Onu.olt_id == olt.id))}
    assert set(onus) == {e.position for e in expected}
    column = state_column(profile)
    for e in expected:
        onu = onus[e.position]
        assert (onu.frame, onu.slot, onu.port, onu.onu_id) == (e.frame, e.slot, e.port, e.onu_id)
        assert onu.position == f"{e.frame}/{e.slot}/{e.port}:{e.onu_id}"
        assert onu.raw_index == e.raw_index
        assert onu.state_value == e.state_in(column) and onu.present
        assert onu.last_execution_id == ex.id
    online_label = "online" if brand_name == "Huawei" else "working"
    assert ex.summary["states"][online_label] == sum(1 for e in expected if e.online)
    host = db.session.get(JobHost, ex.job_host_id)
    assert host.consecutive_failures == 0 and host.last_success_at == ex.finished_at


def test_discovery_marks_missing_onus_absent_after_two_walks_and_keeps_them(app, lab):
    olt = make_olt(lab, "huawei-a")
    ghost = Onu(olt_id=olt.id, raw_index="4194312192.99", position="0/1/0:99", present=True)
    back = lab_onus("huawei", 40, seed=7)[3]  # served by the lab, but absent in our records
    returning = Onu(
        olt_id=olt.id,
        raw_index="an older index",
        position=back.position,
        present=False,
        consecutive_misses=4,
        state_value=1,
    )
    db.session.add_all([ghost, returning])
    db.session.commit()
    job = make_job([olt])
    for _ in range(3):
        run_jobs_now([job.id], trigger="cli", label="test")
        work(app)
    runs = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert [r.status for r in runs] == ["SUCCESS"] * 3
    # ABSENT_AFTER_MISSES = 2: one complete walk without it is a miss, the second makes it absent
    assert runs[0].summary["absent_now"] == 0 and runs[0].summary["missing_not_yet_absent"] == 1
    assert runs[1].summary["absent_now"] == 1 and runs[2].summary["absent_now"] == 0
    assert runs[2].summary["new"] == 0 and runs[2].summary["absent_total"] == 1
    assert runs[0].summary["new"] == 39 and runs[0].summary["reappeared"] == 1
    returning = db.session.get(Onu, returning.id)
    assert returning.present and returning.consecutive_misses == 0
    assert returning.raw_index == back.raw_index  # the same ONU, found again by its position
    assert returning.last_change_execution_id == runs[0].id  # presence changed in run 1 only
    ghost = db.session.get(Onu, ghost.id)
    assert not ghost.present and ghost.consecutive_misses == 3
    assert ghost.last_change_execution_id == runs[1].id


def _silent_udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_agent_that_does_not_answer_fails_with_timeout(app):
    with _silent_udp_socket() as sock:
        olt = make_olt(None, "silent", snmp_port=sock.getsockname()[1], timeout=0.5, retries=1)
        job = make_job([olt])
        run_jobs_now([job.id], trigger="cli", label="test")
        started = time.monotonic()
        work(app)
        elapsed = time.monotonic() - started
    ex = only_execution()
    assert ex.status == "FAILED"
    assert ex.error.startswith(f"OLT silent (127.0.0.1:{olt.snmp_port}) did not answer within 1 s")
    assert elapsed < 10
    host = db.session.get(JobHost, ex.job_host_id)
    assert host.consecutive_failures == 1 and host.last_failure_at == ex.finished_at


def test_wrong_community_fails_with_credentials_message(app, lab):
    olt = make_olt(lab, "huawei-a", community="not-the-community", timeout=0.5, retries=0)
    job = make_job([olt])
    run_jobs_now([job.id], trigger="cli", label="test")
    work(app)
    ex = only_execution()
    assert ex.status == "FAILED"
    assert "SNMP community is wrong" in ex.error and "not-the-community" not in ex.error
    assert db.session.scalar(select(db.func.count()).select_from(Onu)) == 0


def test_unsupported_oid_fails_and_keeps_the_inventory(app, lab):
    olt = make_olt(lab, "huawei-a")
    kept = Onu(olt_id=olt.id, raw_index="4194312192.1", position="0/1/0:1", present=True)
    db.session.add(kept)
    job = make_job([olt])
    job.oid.oid = "1.3.6.1.4.1.99999.1.1"
    db.session.commit()
    run_jobs_now([job.id], trigger="cli", label="test")
    work(app)
    ex = only_execution()
    assert ex.status == "FAILED"
    assert ex.error.startswith(
        f"OLT huawei-a (127.0.0.1:{lab.port}): not supported: OID 1.3.6.1.4.1.99999.1.1"
    )
    assert db.session.get(Onu, kept.id).present  # nothing swept on a failed run


def test_disabled_after_dispatch_is_interrupted_not_run(app, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    run_jobs_now([job.id], trigger="cli", label="test")
    db.session.get(Olt, olt.id).enabled = False
    db.session.commit()
    work(app)
    ex = only_execution()
    assert ex.status == "INTERRUPTED" and ex.error == "OLT huawei-a disabled"
    assert ex.started_at is None
    assert db.session.scalar(select(db.func.count()).select_from(Onu)) == 0


def test_execution_not_pending_is_not_run_twice(app, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    report = run_jobs_now([job.id], trigger="cli", label="test")
    from jobs.runner import run_execution

    db.session.commit()
    assert run_execution(report.execution_ids[0])["outcome"] == "SUCCESS"
    db.session.commit()
    assert run_execution(report.execution_ids[0])["outcome"] == "skipped (SUCCESS)"


def _get_job(olt, kind: str, name: str):
    from webapp.models import Oid

    job = make_job([olt], name=name)
    job.job_type = "get"
    job.oid_id = db.session.scalar(
        select(Oid).filter_by(brand_id=olt.brand_id, kind=kind).order_by(Oid.id).limit(1)
    ).id
    db.session.commit()
    return job


def test_get_jobs_collect_serials_descriptions_and_distances(app, lab):
    olt = make_olt(lab, "huawei-a")
    discovery = make_job([olt])
    jobs = [_get_job(olt, k, f"get {k}") for k in ("serial", "description", "distance")]
    run_jobs_now([discovery.id], trigger="cli", label="test")
    work(app)
    run_jobs_now([j.id for j in jobs], trigger="cli", label="test")
    work(app)

    runs = db.session.scalars(select(Execution).where(Execution.job_type == "get")).all()
    assert [r.status for r in runs] == ["SUCCESS"] * 3, [r.error for r in runs]
    assert all(r.summary["stored"] == 40 and r.summary["no_row"] == 0 for r in runs)
    onus = {o.position: o for o in db.session.scalars(select(Onu))}
    for e in lab_onus("huawei", 40, seed=7):
        onu = onus[e.position]
        assert onu.serial == "HWTC" + e.serial[4:].hex().upper()
        if e.description.startswith(b"cliente-"):
            assert onu.description == e.description.decode()
        assert onu.distance_m == e.distance
        assert set(onu.collected) == {"serial", "description", "distance_m"}


@pytest.mark.parametrize("auth_key,ok", [("auctoritas", True), ("wrong-auth-key", False)])
def test_snmpv3_discovery_and_bad_credentials(app, lab, auth_key, ok):
    from snmp.lab.agent import LAB_V3_AUTH_PROTO, LAB_V3_PRIV_KEY, LAB_V3_PRIV_PROTO, LAB_V3_USER

    olt = make_olt(
        lab,
        "huawei-a",
        snmp_version="3",
        community="",
        v3_user=LAB_V3_USER,
        v3_auth_proto=LAB_V3_AUTH_PROTO,
        v3_auth_key=auth_key,
        v3_priv_proto=LAB_V3_PRIV_PROTO,
        v3_priv_key=LAB_V3_PRIV_KEY,
        v3_context="huawei-a",
    )
    run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    work(app)
    ex = only_execution()
    if ok:
        assert ex.status == "SUCCESS" and ex.summary["found"] == 40, ex.error
    else:
        assert ex.status == "FAILED"
        assert ex.error.startswith(f"OLT huawei-a (127.0.0.1:{lab.port}) refused the SNMPv3")
        assert auth_key not in ex.error


def test_unexpected_error_marks_the_execution_failed(app, lab, monkeypatch):
    olt = make_olt(lab, "huawei-a")
    report = run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    db.session.commit()
    from jobs import runner

    def broken(ex):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.errors, "disabled_reason", broken)
    with pytest.raises(RuntimeError):
        runner.run_execution(report.execution_ids[0])
    ex = only_execution()
    assert ex.status == "FAILED" and ex.error == "internal error: RuntimeError: boom"


def test_running_is_visible_to_others_while_the_olt_is_polled(app, lab, monkeypatch):
    from sqlalchemy import create_engine

    from jobs.types import _rows as poll

    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # another process's view
    seen = {}

    def watching_walk(target, columns, *check):
        with other.connect() as conn:
            seen["row"] = conn.execute(
                select(Execution.status, Execution.started_at, Execution.worker_name)
            ).one()
        return real_walk(target, columns, *check)

    real_walk = poll.walk_columns_sync
    monkeypatch.setattr(poll, "walk_columns_sync", watching_walk)
    work(app)
    other.dispose()
    status, started_at, worker = seen["row"]
    assert status == "RUNNING" and started_at is not None and worker
    assert only_execution().status == "SUCCESS"
