"""Steering from the admin: disable/enable jobs and OLTs, cancel and re-run executions."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.queues import get_redis
from tests.conftest import csrf_token, login
from tests.factories import make_job, make_olt, make_user
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Olt, SnmpJob
from webapp.models.base import utcnow


def _action(client, view: str, name: str, ids: list[int]):
    page = client.get(f"/admin/{view}/")
    return client.post(
        f"/admin/{view}/action/",
        data={"action": name, "rowid": [str(i) for i in ids], "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )


def _statuses() -> list[tuple[str, str, str | None]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Execution).order_by(Execution.id))
    return [(r.olt_name, r.status, r.error) for r in rows]


def test_disabling_jobs_interrupts_their_pending_runs_and_enabling_is_from_now(app, client, lab):
    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")], interval="1h")
    run_jobs_now([job.id], trigger="cli", label="t")
    login(client, "noc")
    r = _action(client, "snmpjob", "disable", [job.id])
    assert "1 job disabled; 1 pending execution interrupted" in r.text
    assert _statuses() == [("huawei-a", "INTERRUPTED", "job discovery disabled")]
    before = utcnow()
    r = _action(client, "snmpjob", "enable", [job.id])
    job = db.session.get(SnmpJob, job.id)
    assert job.enabled and before + timedelta(minutes=59) < job.next_run_at
    work(app)  # the interrupted execution is never run
    assert _statuses()[0][1] == "INTERRUPTED"


def test_disabling_an_olt_interrupts_its_pending_runs(app, client, lab):
    make_user("noc")
    a, big = make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")
    run_jobs_now([make_job([a, big]).id], trigger="cli", label="t")
    login(client, "noc")
    r = _action(client, "olt", "disable", [a.id])
    assert "1 OLT disabled; 1 pending execution interrupted" in r.text
    assert _statuses() == [
        ("huawei-a", "INTERRUPTED", "OLT huawei-a disabled"),
        ("huawei-big", "PENDING", None),
    ]
    assert not db.session.get(Olt, a.id).enabled


def test_cancel_pending_and_rerun_finished(app, client, lab, redis_url):
    make_user("noc")
    a, big = make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")
    first = run_jobs_now([make_job([a, big]).id], trigger="cli", label="t").execution_ids
    login(client, "noc")
    r = _action(client, "execution", "cancel", [first[1]])
    assert "1 pending execution cancelled" in r.text
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    assert f"execution-{first[1]}" not in queue.job_ids
    work(app)
    assert _statuses() == [
        ("huawei-a", "SUCCESS", None),
        ("huawei-big", "INTERRUPTED", "cancelled by noc"),
    ]
    r = _action(client, "execution", "rerun", [first[0]])
    assert "Ran 1 job: 1 execution created and enqueued" in r.text
    work(app)
    rows = _statuses()
    assert rows[2] == ("huawei-a", "SUCCESS", None) and len(rows) == 3


def test_disabling_from_the_job_form_interrupts_too(app, client, lab):
    from tests.factories import brand, discovery_oid
    from tests.test_admin_views import _post_form

    make_user("noc")
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt], interval="1h")
    run_jobs_now([job.id], trigger="cli", label="t")
    host = job.hosts[0]
    login(client, "noc")
    data = {
        "name": job.name,
        "brand": str(brand("Huawei").id),
        "job_type": "discovery",
        "oid": str(discovery_oid().id),
        "interval": "1h",
        "cron": "",
        "max_retries": "2",
        "retry_delay": "30",
        "hosts-0-id": str(host.id),
        "hosts-0-olt": str(olt.id),
        "hosts-0-enabled": "y",
    }  # "enabled" left out: unticked
    _post_form(client, f"/admin/snmpjob/edit/?id={job.id}", data)
    assert _statuses() == [("huawei-a", "INTERRUPTED", "job discovery disabled")]
    before = utcnow()
    _post_form(client, f"/admin/snmpjob/edit/?id={job.id}", {**data, "enabled": "y"})
    db.session.expire_all()
    assert db.session.get(SnmpJob, job.id).next_run_at > before + timedelta(minutes=59)
