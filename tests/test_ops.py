"""Operations: the CLI views, /health, /metrics and the embedded rq-dashboard."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.queues import get_redis
from jobs.scheduler import LAST_TICK_KEY
from tests.conftest import csrf_token, login
from tests.factories import make_job, make_olt, make_user
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Oid
from webapp.models.base import utcnow


def test_status_recent_tasks_and_workers(app, runner, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    run_jobs_now([job.id], trigger="cli", label="t")  # one left queued
    get_redis(app.config["REDIS_URL"]).set(LAST_TICK_KEY, utcnow().isoformat())
    status = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert {"redis", "queues", "workers", "scheduler", "locks", "executions_24h"} <= set(status)
    assert status["queues"]["discovery_main"]["queued"] == 1
    assert status["executions_24h"] == {"SUCCESS": 1, "PENDING": 1}
    assert status["scheduler"]["age_s"] < 60 and status["jobs"] == {"total": 1, "enabled": 1}
    text = runner.invoke(args=["status"]).output
    assert "queue discovery_main: 1 queued" in text and "executions, last 24 h" in text
    recent = json.loads(runner.invoke(args=["recent", "--json", "--status", "SUCCESS"]).output)
    assert [(r["olt"], r["status"]) for r in recent] == [("huawei-a", "SUCCESS")]
    assert runner.invoke(args=["recent", "--olt", "nope"]).exit_code == 1
    tasks = json.loads(runner.invoke(args=["tasks", "--json"]).output)
    pending = db.session.scalar(select(Execution).where(Execution.status == "PENDING"))
    assert {
        "queue": "discovery_main",
        "state": "queued",
        "rq_job": pending.rq_job_id,
        "execution": pending.id,
    } in tasks
    assert "no workers are running" in runner.invoke(args=["workers"]).output
    assert "asked 0 workers" in runner.invoke(args=["restart"]).output


def test_status_says_when_redis_is_down(app, runner):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = runner.invoke(args=["status", "--json"])
    assert result.exit_code == 2 and "Redis unreachable" in result.output


def test_health_reports_each_part(app, client):
    r = client.get("/health")
    assert r.status_code == 503  # no workers, no scheduler tick yet
    body = r.get_json()
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert not body["workers"]["ok"] and not body["scheduler"]["ok"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert client.get("/health").get_json()["redis"]["ok"] is False


def test_metrics_need_a_token_or_staff(app, client, lab):
    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt]).id], trigger="cli", label="t")
    work(app)
    assert client.get("/metrics").status_code == 401
    app.config["METRICS_TOKEN"] = "s3cret-token"
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200
    assert 'oltwatch_executions{job_type="discovery",status="SUCCESS"} 1.0' in r.text
    assert 'oltwatch_onus_present{olt="huawei-a"} 40.0' in r.text
    assert "oltwatch_queue_depth" in r.text and "oltwatch_last_discovery_success" in r.text
    make_user("noc")
    login(client, "noc")
    assert client.get("/metrics").status_code == 200


def test_freshness_metric_counts_polls_and_discoveries(app, client, lab):
    """The ONU list is fresh after a poll or a discovery; a get job reads one attribute only."""
    from snmp.profiles import PROFILES

    polled, discovered = (make_olt(lab, name, community="huawei-a") for name in ("olt-p", "olt-d"))
    serial = PROFILES["huawei"].first("serial").oid
    serial_oid = db.session.scalar(select(Oid).filter_by(brand_id=polled.brand_id, oid=serial))
    for olt, fields in (
        (polled, dict(name="p", job_type="poll", oid_id=None)),
        (discovered, dict(name="d")),
        (polled, dict(name="g", job_type="get", oid_id=serial_oid.id)),  # after the poll
    ):
        run_jobs_now([make_job([olt], **fields).id], trigger="cli", label="t")
        work(app)
    runs = {r.job_name: r for r in db.session.scalars(select(Execution))}
    assert {r.status for r in runs.values()} == {"SUCCESS"}, [
        (r.job_name, r.error) for r in runs.values()
    ]
    assert runs["g"].finished_at > runs["p"].finished_at
    make_user("noc")
    login(client, "noc")
    metric = "oltwatch_last_discovery_success_timestamp_seconds"
    values = {
        line.split('"')[1]: float(line.split()[-1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith(metric + "{")
    }
    assert set(values) == {"olt-d", "olt-p"}
    poll_end = runs["p"].finished_at.replace(tzinfo=runs["p"].finished_at.tzinfo or UTC)
    assert values["olt-p"] == pytest.approx(poll_end.timestamp(), abs=0.001)


@pytest.mark.parametrize("who,expected", [(None, 302), ("customer", 403), ("noc", 200)])
def test_rq_dashboard_is_for_staff(app, client, who, expected):
    if who:
        make_user(who, staff=(who == "noc"))
        login(client, who)
    r = client.get("/admin/rq/")
    assert r.status_code == expected
    if expected == 302:
        assert "/login" in r.location


def test_rq_dashboard_posts_need_csrf(app, client):
    from rq import Queue

    Queue("discovery_main", connection=get_redis(app.config["REDIS_URL"])).enqueue(
        "jobs.runner.run_execution", 999999
    )
    make_user("noc")
    login(client, "noc")
    client.get("/admin/rq/")
    assert client.post("/admin/rq/queue/discovery_main/compact").status_code == 400
    token = csrf_token(client.get("/admin/").text)
    r = client.post("/admin/rq/queue/discovery_main/compact", headers={"X-CSRFToken": token})
    assert r.status_code == 200


def test_execution_page_tells_the_whole_story_and_list_refreshes(app, client, lab):
    make_user("noc")
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    ex_id = run_jobs_now([job.id], trigger="cli", label="t").execution_ids[0]
    login(client, "noc")
    assert 'http-equiv="refresh"' in client.get("/admin/execution/").text  # one PENDING
    work(app)
    assert 'http-equiv="refresh"' not in client.get("/admin/execution/").text
    page = client.get(f"/admin/execution/details/?id={ex_id}").text
    assert "ONUs it changed (40)" in page and "Attempts" in page and "0/1/0:" in page
    home = client.get("/admin/").text
    assert "success rate" in home and "ONUs per OLT" in home and "huawei-a" in home


def _failed_job(app) -> str:
    """A real RQ job that failed in a real worker: it sits in the failed registry."""
    from rq import Queue, SimpleWorker

    redis = get_redis(app.config["REDIS_URL"])
    queue = Queue("discovery_main", connection=redis)
    job = queue.enqueue("builtins.int", "not a number", description="<b>x</b> failing")
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    return job.id


def test_rq_dashboard_job_page_works_and_escapes_descriptions(app, client, lab):
    olt = make_olt(lab, "<script>alert(1)</script>", community="huawei-a")
    ex_id = run_jobs_now([make_job([olt], name="<b>x</b>").id], trigger="cli", label="t")
    rq_id = db.session.get(Execution, ex_id.execution_ids[0]).rq_job_id
    make_user("noc")
    login(client, "noc")
    r = client.get(f"/admin/rq/0/view/job/{rq_id}")
    assert r.status_code == 200
    assert "<%- d.description %>" in r.text and "<%= d.description" not in r.text
    assert "<%=" not in r.text.split('name="job-info"')[1].split("</script>")[0].replace(
        "<%= url_for_single_job_view(jobId) %>", ""
    )  # every value of the job template is escaped; a URL of a job id is encoded
    assert 'href="/admin/"' in r.text and "Back to the admin" in r.text
    data = client.get(f"/admin/rq/0/data/job/{rq_id}.json").get_json()
    assert data["description"].startswith("<b>x</b> @ <script>alert(1)</script>")
    r = client.get("/admin/rq/0/view/job/no-such-job")
    assert r.status_code == 404 and "Page not found" in r.text
    r = client.get("/admin/rq/0/data/job/no-such-job.json")
    assert r.status_code == 404 and r.get_json()["status"] == "ERROR"
    assert "Volver a la administración" in client.get("/admin/rq/?lang=es").text


def test_rq_dashboard_state_changes_need_post_and_a_token(app, client):
    from rq import Queue

    job_id = _failed_job(app)
    failed = Queue("discovery_main", connection=get_redis(app.config["REDIS_URL"]))
    make_user("noc")
    login(client, "noc")
    r = client.get("/admin/rq/requeue/discovery_main")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    assert client.post("/admin/rq/requeue/discovery_main").status_code == 400  # no token
    assert client.post(f"/admin/rq/job/{job_id}/requeue").status_code == 400
    assert failed.failed_job_registry.get_job_ids() == [job_id]
    for url in (f"/admin/rq/job/{job_id}/delete", "/admin/rq/queue/discovery_main/failed/empty"):
        assert client.get(url).status_code == 405
    token = csrf_token(client.get("/admin/").text)
    r = client.post("/admin/rq/requeue/discovery_main", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json() == {"status": "OK", "count": 1}
    assert failed.failed_job_registry.get_job_ids() == [] and failed.job_ids == [job_id]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/rq/5/view/queues",
        "/admin/rq/1/data/queues.json",
        "/admin/rq/0/view/jobs/discovery_main/bogus/8/asc/1",
        "/admin/rq/0/data/jobs/discovery_main/bogus/8/asc/1.json",
        "/admin/rq/0/data/jobs/discovery_main/queued/0/asc/1.json",
        "/admin/rq/0/data/jobs/discovery_main/queued/abc/asc/1.json",
        "/admin/rq/0/data/jobs/discovery_main/queued/8/asc/abc.json",
        "/admin/rq/0/data/jobs/discovery_main/queued/8/asc/-1.json",
    ],
)
def test_rq_dashboard_bad_addresses_are_404_not_500(app, client, url):
    make_user("noc")
    login(client, "noc")
    assert client.get(url).status_code == 404
    assert client.get("/admin/rq/0/data/jobs/discovery_main/queued/8/asc/1.json").status_code == 200


def test_make_run_sizes_its_pool_to_the_machine():
    from webapp.devstack import pool_size

    assert pool_size({"WORKERS": "7"}, available=100) == (7, "WORKERS is set")
    assert pool_size({}, available=16000) == (20, "the default")
    workers, why = pool_size({}, available=1000)
    assert workers == 10 and "1000 MB" in why
    assert pool_size({}, available=300)[0] == 2  # never fewer than two
