"""Two "run now" of one job at the same instant create one execution per (job, OLT).

Both runs plan before either writes (a barrier after planning), as two users or a double
click on a busy server do; the database's partial unique index makes the second insert fail,
and that run plans again and reports the pair as already pending.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from jobs import dispatch
from tests.factories import make_job, make_olt
from webapp.extensions import db
from webapp.models import Execution


def test_two_run_nows_at_once_create_one_execution(app, lab, monkeypatch):
    olts = [make_olt(lab, "huawei-a"), make_olt(lab, "zte-a", brand_name="ZTE")]
    job_id = make_job(olts[:1]).id
    other_id = make_job(olts[1:], name="z", brand_name="ZTE").id
    db.session.commit()
    planned = threading.Barrier(2)
    plan_run = dispatch.plan_run

    def plan_then_wait(job_ids):
        plans = plan_run(job_ids)
        try:
            planned.wait(2)  # SQLite: the first run holds the write lock, the other waits
        except threading.BrokenBarrierError:
            pass
        return plans

    monkeypatch.setattr(dispatch, "plan_run", plan_then_wait)
    reports = []

    def submit():
        with app.app_context():
            reports.append(dispatch.run_jobs_now([job_id, other_id], trigger="cli", label="t"))
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    rows = db.session.execute(select(Execution.job_id, Execution.status)).all()
    db.session.commit()
    assert sorted(rows) == [(job_id, "PENDING"), (other_id, "PENDING")]
    assert sorted(r.created for r in reports) == [0, 2]
    loser = next(r for r in reports if r.created == 0)
    assert sorted(s.reason for _, s in loser.skips) == ["already_pending", "already_pending"]
