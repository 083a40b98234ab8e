"""Locks shown and stale ones freed (never a running one); old executions purged in batches."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from jobs.dispatch import run_jobs_now
from jobs.housekeeping import hourly, purge_old_executions
from jobs.locks import lock_name
from jobs.queues import get_redis
from tests.factories import make_job, make_olt
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Onu
from webapp.models.base import utcnow


def test_locks_listed_and_only_stale_ones_cleared(app, runner, lab):
    a, big = make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")
    ids = run_jobs_now([make_job([a, big]).id], trigger="cli", label="t").execution_ids
    db.session.get(Execution, ids[1]).status = "RUNNING"  # pretend a worker is on it
    db.session.commit()
    redis = get_redis(app.config["REDIS_URL"])
    redis.set(lock_name(a.id), f"{ids[0]}|w1|2026-01-01T00:00:00", ex=60)  # PENDING: stale
    redis.set(lock_name(big.id), f"{ids[1]}|w2|2026-01-01T00:00:00", ex=60)  # RUNNING: kept
    listed = json.loads(runner.invoke(args=["locks", "--json"]).output)
    assert [(x["olt_id"], x["execution_id"], x["worker"]) for x in listed["locks"]] == [
        (a.id, str(ids[0]), "w1"),
        (big.id, str(ids[1]), "w2"),
    ]
    result = runner.invoke(args=["locks", "--clear-stale"])
    assert result.exit_code == 0 and "cleared 1 stale lock" in result.output
    assert redis.get(lock_name(a.id)) is None and redis.get(lock_name(big.id)) is not None


def test_old_executions_are_purged_and_onus_keep_their_data(app, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    for _ in range(3):
        run_jobs_now([job.id], trigger="cli", label="t")
        work(app)
    rows = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    for ex in rows[:2]:
        ex.created_at = utcnow() - timedelta(days=91)
    onus = db.session.scalars(select(Onu).order_by(Onu.id)).all()
    assert {o.last_execution_id for o in onus} == {rows[2].id}
    onus[0].last_execution_id = rows[0].id  # as if it was last seen by a run now purged
    db.session.commit()
    assert purge_old_executions() == 2
    assert [e.id for e in db.session.scalars(select(Execution))] == [rows[2].id]
    assert db.session.scalar(select(func.count()).select_from(Onu)) == 40
    db.session.expire_all()
    last = db.session.scalars(select(Onu.last_execution_id).order_by(Onu.id)).all()
    assert last == [None] + [rows[2].id] * 39  # as the foreign key's SET NULL did
    assert hourly() == 0 and hourly() is None  # at most once an hour
