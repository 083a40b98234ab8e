"""Cost of a /metrics request, the reaper's pass and the purge of old executions at scale.

Fills a throw-away database with OLTS OLTs, ONUS ONUs, EXECUTIONS finished executions (all
within the last 24 h, the old gauges' worst case) and one PENDING execution per OLT queued
in a private redis-server, then times GET /metrics and the reaper's PENDING check.
SQLite always; PostgreSQL too when TEST_DATABASE_URL is set.

    .venv/bin/python bench/metrics.py [--olts 1000] [--onus 1000000] [--executions 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, select, text  # noqa: E402

# SQL that makes n rows from a row number g (1..n), per dialect: far faster than ORM inserts.
SERIES = {
    "postgresql": "SELECT g FROM generate_series(1, :n) AS g",
    "sqlite": "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
    "SELECT g FROM s",
}
AGO = {  # naive UTC, g seconds ago (mod one day)
    "postgresql": "(now() AT TIME ZONE 'utc') - ((g % 86000) * interval '1 second')",
    "sqlite": "datetime('now', '-' || (g % 86000) || ' seconds')",
}


def _fill(app, olts: int, onus: int, executions: int) -> None:
    from webapp.extensions import db
    from webapp.models import JobHost, Olt, SnmpJob

    with app.app_context():
        dialect = db.engine.dialect.name
        db.session.execute(
            insert(Olt),
            [dict(name=f"olt-{i}", host=f"10.0.{i // 250}.{i % 250}") for i in range(olts)],
        )
        jobs = [SnmpJob(name=f"job {j}", job_type=("poll", "discovery")[j % 2]) for j in range(10)]
        db.session.add_all(jobs)
        db.session.flush()
        olt_ids = [i for (i,) in db.session.execute(text("SELECT id FROM olts ORDER BY id"))]
        from webapp.models.base import utcnow

        db.session.execute(
            insert(JobHost),
            [dict(job_id=j.id, olt_id=o, last_success_at=utcnow()) for j in jobs for o in olt_ids],
        )
        first = olt_ids[0]
        series, ago = SERIES[dialect], AGO[dialect]
        per_olt = max(1, onus // olts)
        db.session.execute(  # one ONU in ten absent
            text(
                "INSERT INTO onus (olt_id, position, raw_index, present, consecutive_misses, "
                f"collected) SELECT {first} + (g - 1) / {per_olt}, 'p' || g, 'r' || g, "
                f"(g % 10) <> 0, 0, '{{}}' FROM ({series}) AS s"
            ),
            {"n": onus},
        )
        db.session.execute(
            text(
                "INSERT INTO executions (job_id, olt_id, job_name, olt_name, job_type, "
                "requested_by_name, trigger, queue, attempt, status, created_at, started_at, "
                "finished_at, duration_ms, summary) "
                f"SELECT {jobs[0].id}, {first} + (g % {olts}), 'job 0', 'olt', 'poll', '', "
                f"'schedule', 'discovery_main', 0, CASE WHEN g % 20 = 0 THEN 'FAILED' ELSE "
                f"'SUCCESS' END, {ago}, {ago}, {ago}, g % 60000, '{{}}' FROM ({series}) AS s"
            ),
            {"n": executions},
        )
        db.session.commit()
        if dialect == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def _pending(app, olts: int) -> None:
    """One PENDING execution per OLT of job 1, enqueued in RQ (as a run-now leaves them)."""
    from jobs.dispatch import enqueue_executions
    from webapp.extensions import db
    from webapp.models import Execution, SnmpJob
    from webapp.models.base import utcnow

    with app.app_context():
        job = db.session.scalar(select(SnmpJob.id).where(SnmpJob.name == "job 1"))
        ids = [i for (i,) in db.session.execute(text("SELECT id FROM olts ORDER BY id"))]
        rows = [
            Execution(
                job_id=job,
                olt_id=o,
                job_name="job 1",
                olt_name=f"olt {o}",
                job_type="discovery",
                trigger="schedule",
                created_at=utcnow(),
            )  # fmt: skip
            for o in ids
        ]
        db.session.add_all(rows)
        db.session.commit()
        enqueue_executions(rows)


def _timed(fn, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def measure(url: str, redis_url: str, args) -> dict:
    """Median seconds of GET /metrics and of the reaper's PENDING pass; statements and commands."""
    from flask_migrate import upgrade

    from jobs.queues import get_redis
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "b", "REDIS_URL": redis_url,
         "METRICS_TOKEN": "b", "PENDING_GRACE": 0, "TESTING": True}
    )  # fmt: skip
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    redis = get_redis(redis_url)
    redis.flushdb()
    t0 = time.perf_counter()
    _fill(app, args.olts, args.onus, args.executions)
    _pending(app, args.olts)
    fill_s = time.perf_counter() - t0
    client = app.test_client()
    statements: list[list] = []  # [seconds, statement] of the last scrape
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda c, cur, sql, *a: statements.append([time.perf_counter(), sql]),
        )
        event.listen(
            db.engine,
            "after_cursor_execute",
            lambda *a: statements[-1].__setitem__(0, time.perf_counter() - statements[-1][0]),
        )

    def scrape():
        r = client.get("/metrics", headers={"Authorization": "Bearer b"})
        assert r.status_code == 200, r.status_code

    scrape()  # warm
    statements.clear()
    commands0 = redis.info("stats")["total_commands_processed"]
    scrape()
    slowest = max(statements)
    out = {
        "slowest": f"{slowest[0]:.3f} s: {' '.join(slowest[1].split())[:90]}",
        "sql": len(statements),
        "redis_cmds": redis.info("stats")["total_commands_processed"] - commands0 - 1,
        "metrics_s": _timed(scrape, args.runs),
    }
    from jobs.reaper import reap_pending
    from webapp.models.base import utcnow

    def reaper():
        with app.app_context():
            assert reap_pending(redis, utcnow()) == (0, 0)
            db.session.remove()

    out["reaper_pending_s"] = _timed(reaper, args.runs)
    from datetime import timedelta

    from jobs.housekeeping import purge_old_executions

    with app.app_context():  # last: it deletes (one call: up to its batch limit)
        started = time.perf_counter()
        out["purged"] = purge_old_executions(utcnow() + timedelta(days=400))
        out["purge_s"] = time.perf_counter() - started
        db.session.remove()
    print(f"  filled in {fill_s:.1f} s", flush=True)
    with app.app_context():
        db.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olts", type=int, default=1000)
    parser.add_argument("--onus", type=int, default=1_000_000)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from webapp.devstack import free_tcp_port, start_redis, stop_process

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_tcp_port()
        server = start_redis(Path(tmp) / "redis", port)
        redis_url = f"redis://127.0.0.1:{port}/0"
        try:
            print("sqlite:", flush=True)
            results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", redis_url, args)
            if os.environ.get("TEST_DATABASE_URL"):
                print("postgresql:", flush=True)
                import upsert  # bench/upsert.py: the throw-away PostgreSQL database of every bench

                admin, name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])
                try:
                    results["postgresql"] = measure(url, redis_url, args)
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
        finally:
            stop_process(server, "redis-server", grace=5)
    for db_name, r in results.items():
        print(
            f"{db_name:<10} /metrics {r['metrics_s']:.3f} s ({r['sql']} SQL statements, "
            f"{r['redis_cmds']} Redis commands); reaper PENDING pass over {args.olts} "
            f"queued executions {r['reaper_pending_s']:.3f} s; purge of {r['purged']} old "
            f"executions {r['purge_s']:.2f} s\n  slowest query {r['slowest']}"
        )
    print(
        f"metrics_s_max={max(r['metrics_s'] for r in results.values()):.3f} "
        f"reaper_pending_s_max={max(r['reaper_pending_s'] for r in results.values()):.3f} "
        f"purge_s_max={max(r['purge_s'] for r in results.values()):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
