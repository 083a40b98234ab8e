"""/metrics: counters and histograms recorded where the work happens, read back from Redis."""

from __future__ import annotations

import logging
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from jobs import metrics
from jobs.dispatch import run_jobs_now
from jobs.lifecycle import finish_if
from jobs.metrics import DURATION_BUCKETS
from jobs.workers import worker_pool_command
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt
from tests.test_runner import work
from webapp.devstack import stop_process
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.executions import INTERRUPTED, PENDING

TOKEN = "metrics-token"


def exposition(app, client) -> str:
    app.config["METRICS_TOKEN"] = TOKEN
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    return r.text


def scrape(app, client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, parsed by prometheus_client's own parser."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition(app, client))
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_runs_move_the_counters_and_histograms(app, client, lab):
    ok = make_olt(lab, "huawei-a")
    dead = make_olt(lab, "dead", community="nobody-home", timeout=0.3, retries=0)
    job = make_job([ok, dead])
    report = run_jobs_now([job.id], trigger="cli", label="t")
    assert report.enqueued == 2
    run_jobs_now([job.id], trigger="cli", label="t")  # both still pending: skipped
    work(app)
    rows = db.session.scalars(select(Execution)).all()
    assert sorted(r.status for r in rows) == ["FAILED", "SUCCESS"], [r.error for r in rows]
    s = scrape(app, client)

    for status in ("SUCCESS", "FAILED"):
        assert value(s, "oltwatch_executions_total", status=status, job_type="discovery") == 1
    assert value(s, "oltwatch_executions_queued_total", trigger="cli") == 2
    assert value(s, "oltwatch_runnow_skipped_total", reason="already_pending") == 2
    assert value(s, "oltwatch_onus_stored_total", job_type="discovery") == 40
    assert value(s, "oltwatch_snmp_seconds_total", job_type="discovery") > 0
    assert value(s, "oltwatch_store_seconds_total", job_type="discovery") > 0
    # The histogram holds exactly the durations the rows say, bucket by bucket.
    seconds = [r.duration_ms / 1000 for r in rows]
    name = "oltwatch_execution_duration_seconds"
    for bound in (*DURATION_BUCKETS, float("inf")):
        le = "+Inf" if bound == float("inf") else str(float(bound))
        expected = sum(1 for d in seconds if d <= bound)
        assert value(s, f"{name}_bucket", job_type="discovery", le=le) == expected
    assert value(s, f"{name}_count", job_type="discovery") == 2
    assert value(s, f"{name}_sum", job_type="discovery") == pytest.approx(sum(seconds))
    assert value(s, "oltwatch_execution_start_delay_seconds_count", trigger="cli") == 2
    assert value(s, "oltwatch_executions_active", status="PENDING") == 0


def test_an_end_counts_once_its_transaction_commits(app, client, lab):
    [ex_id] = run_jobs_now(
        [make_job([make_olt(lab, "huawei-a")]).id], trigger="cli", label="t"
    ).execution_ids
    counted = {"status": INTERRUPTED, "job_type": "discovery"}
    assert value(scrape(app, client), "oltwatch_executions_active", status=PENDING) == 1
    assert finish_if(db.session.get(Execution, ex_id), INTERRUPTED, expect=(PENDING,))
    db.session.rollback()  # the end did not happen: nothing counted
    assert value(scrape(app, client), "oltwatch_executions_total", **counted) == 0
    assert finish_if(db.session.get(Execution, ex_id), INTERRUPTED, expect=(PENDING,))
    db.session.commit()
    s = scrape(app, client)
    assert value(s, "oltwatch_executions_total", **counted) == 1
    assert value(s, "oltwatch_executions_active", status=PENDING) == 0


def test_recording_never_fails_the_work(app, lab, caplog):
    caplog.set_level(logging.WARNING, logger="jobs.metrics")
    report = run_jobs_now([make_job([make_olt(lab, "huawei-a")]).id], trigger="cli", label="t")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # Redis gone from now on
    ex = db.session.get(Execution, report.execution_ids[0])
    assert finish_if(ex, INTERRUPTED, expect=(PENDING,), error="stopped")
    db.session.commit()  # the metrics are sent here, and fail
    metrics.run_now(report, "cli")
    metrics.lock_waited()
    metrics.reaper_acted(lost=1)
    metrics.scheduler_ticked({"claimed": 1})
    assert caplog.text.count("metrics not recorded") == 5
    db.session.expire_all()
    assert db.session.get(Execution, ex.id).status == INTERRUPTED


@pytest.mark.e2e
def test_pool_workers_add_to_the_same_counters(app, client, lab, database_url, redis_url, tmp_path):
    """Each pool worker records its own runs: what each records is seen by the web process."""
    olts = [make_olt(lab, "huawei-a"), make_olt(lab, "zte-a", brand_name="ZTE")]
    run_jobs_now([make_job(olts[:1]).id], trigger="cli", label="t")
    run_jobs_now([make_job(olts[1:], name="z", brand_name="ZTE").id], trigger="cli", label="t")
    db.session.commit()
    log = tmp_path / "pool.log"
    with log.open("wb") as out:
        pool = subprocess.Popen(
            worker_pool_command(2, burst=True),
            cwd=ROOT,
            env=worker_env(database_url, redis_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        pool.wait(120)
    finally:
        stop_process(pool, "worker pool", grace=5)
    statuses = db.session.scalars(select(Execution.status)).all()
    assert statuses == ["SUCCESS", "SUCCESS"], log.read_text()[-3000:]
    s = scrape(app, client)
    assert value(s, "oltwatch_executions_total", status="SUCCESS", job_type="discovery") == 2
    assert value(s, "oltwatch_onus_stored_total", job_type="discovery") == 40 + 30
    assert value(s, "oltwatch_execution_duration_seconds_count", job_type="discovery") == 2


def test_exposition_passes_promtool(app, client, lab):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package: prometheus)")
    from jobs.scheduler import tick

    job = make_job([make_olt(lab, "huawei-a")])
    run_jobs_now([job.id], trigger="cli", label="t")
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    tick()  # the scheduler's and the reaper's counters
    text = exposition(app, client)
    assert "oltwatch_scheduler_ticks_total 1.0" in text
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_onus_present_come_from_the_store_not_a_count_of_the_table(app, client, lab):
    from sqlalchemy import update

    from jobs.gauges import ONUS_PRESENT_KEY
    from jobs.queues import get_redis
    from webapp.models import Olt, Onu

    job = make_job([make_olt(lab, "huawei-a")])
    db.session.add(Olt(name="never-polled", host="10.0.0.9", community="c"))
    db.session.commit()
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    redis = get_redis(app.config["REDIS_URL"])
    assert list(redis.hgetall(ONUS_PRESENT_KEY).values()) == [b"40"]  # left by the store
    text = scrape(app, client)
    assert value(text, "oltwatch_onus_present", olt="huawei-a") == 40
    assert value(text, "oltwatch_onus_present", olt="never-polled") == 0  # counted, once
    # a change the store did not make is not seen: the scrape does not count the table
    db.session.execute(update(Onu).where(Onu.id.in_(select(Onu.id).limit(5))).values(present=False))
    db.session.commit()
    assert value(scrape(app, client), "oltwatch_onus_present", olt="huawei-a") == 40
    redis.delete(ONUS_PRESENT_KEY)  # a Redis that lost its data: counted again, once
    assert value(scrape(app, client), "oltwatch_onus_present", olt="huawei-a") == 35
    assert redis.hget(ONUS_PRESENT_KEY, str(job.hosts[0].olt_id)) == b"35"
    run_jobs_now([job.id], trigger="cli", label="t")  # the next poll sees them all again
    work(app)
    assert value(scrape(app, client), "oltwatch_onus_present", olt="huawei-a") == 40
