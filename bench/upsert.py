"""Time storing a discovery (upsert of N ONUs) on SQLite and, if configured, PostgreSQL.

Usage: python bench/upsert.py [--onus 4096] [--runs 5]
PostgreSQL is used when TEST_DATABASE_URL is set (a throw-away database is created next to
it and dropped afterwards); otherwise a notice is printed and only SQLite is measured.
Prints one line per database and case (median of the runs), and as its last line
`upsert_s_max=<seconds>` (the slowest median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from snmp.client import VarBind  # noqa: E402
from snmp.lab.generate import lab_onus  # noqa: E402
from snmp.profiles import get_profile  # noqa: E402


def _rows(onus: int, drop: int = 0) -> list[VarBind]:
    column = get_profile("huawei").first("state").oid
    return [
        VarBind(f"{column}.{o.raw_index}", "Integer", 1 if o.online else 2)
        for o in lab_onus("huawei", onus, seed=1)[drop:]
    ]


def _setup(url: str):
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Execution
    from webapp.seed import seed_demo_olt

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        olt = seed_demo_olt("bench-olt", "huawei", "127.0.0.1", 161, "public")
        ex = Execution(olt_id=olt.id, job_name="bench", olt_name=olt.name)
        db.session.add(ex)
        db.session.commit()
        return app, olt.id, ex.id


def _store_once(app, olt_id: int, ex_id: int, rows: list[VarBind], cpu: list | None = None):
    """Seconds of the store step of a discovery of the Huawei run-status column (what its
    worker does: without the cyclic collector, jobs/runner.py); its CPU seconds in this
    process appended to ``cpu``."""
    from jobs.columns import Scope, oid_column
    from jobs.context import RunContext
    from jobs.types._rows import paused_gc
    from jobs.types.discovery import TYPE, Plan, Walked
    from snmp.client import Target
    from webapp.extensions import db
    from webapp.models import Oid, Olt

    with app.app_context():
        olt = db.session.get(Olt, olt_id)
        scope = Scope(olt.brand_id, olt.model_id, olt.profile_key)
        ctx = RunContext(ex_id, "discovery", olt_id, olt.name, "bench", scope, Target("127.0.0.1"))
        state = get_profile("huawei").first("state").oid
        oid = db.session.scalar(select(Oid).filter_by(brand_id=olt.brand_id, oid=state))
        plan = Plan(oid_column(scope, oid), oid.name, False)
        db.session.commit()
        with paused_gc():
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = TYPE.store(ctx, plan, Walked(rows, {}, "whole column"))
            db.session.commit()
            elapsed = time.perf_counter() - started
            if cpu is not None:
                cpu.append(time.process_time() - cpu_started)
        db.session.remove()
        assert summary["undecoded"] == 0, summary
        return elapsed


def _reset(app) -> None:
    from webapp.extensions import db
    from webapp.models import Onu

    with app.app_context():
        db.session.execute(Onu.__table__.delete())
        db.session.commit()


def measure(url: str, onus: int, runs: int) -> dict[str, float]:
    """Median seconds of: first discovery (inserts), repeat (updates), 1% gone twice (sweep);
    and ``<case>_cpu``: this process's CPU seconds (the server's not included)."""
    app, olt_id, ex_id = _setup(url)
    full, fewer = _rows(onus), _rows(onus, drop=max(1, onus // 100))
    cases: dict[str, list[float]] = {"insert": [], "update": [], "sweep": []}
    cpu: dict[str, list[float]] = {"insert_cpu": [], "update_cpu": [], "sweep_cpu": []}
    for _ in range(runs):
        _reset(app)
        cases["insert"].append(_store_once(app, olt_id, ex_id, full, cpu["insert_cpu"]))
        cases["update"].append(_store_once(app, olt_id, ex_id, full, cpu["update_cpu"]))
        _store_once(app, olt_id, ex_id, fewer)  # a first miss (ABSENT_AFTER_MISSES = 2)
        cases["sweep"].append(_store_once(app, olt_id, ex_id, fewer, cpu["sweep_cpu"]))
    return {k: statistics.median(v) for k, v in {**cases, **cpu}.items()}


def _postgres(base: str):
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"oltwatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, url.set(database=name).render_as_string(hide_password=False)


def databases(tmp: Path, filename: str):
    """(name, url, drop) for a SQLite file in tmp and, when TEST_DATABASE_URL is set, a
    throw-away PostgreSQL database next to it (drop() removes it): every bench's databases."""
    yield "sqlite", f"sqlite:///{tmp / filename}", lambda: None
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
        return
    admin, name, url = _postgres(base)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    yield "postgresql", url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.onus, args.runs)
    if os.environ.get("TEST_DATABASE_URL"):
        admin, name, url = _postgres(os.environ["TEST_DATABASE_URL"])
        try:
            results["postgresql"] = measure(url, args.onus, args.runs)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
    for db_name, cases in results.items():
        for case in ("insert", "update", "sweep"):
            seconds, cpu = cases[case], cases[f"{case}_cpu"]
            print(f"{db_name:<10} {case:<7} {args.onus} ONUs  {seconds:.3f} s  (cpu {cpu:.3f} s)")
    walls = [c[k] for c in results.values() for k in ("insert", "update", "sweep")]
    print(f"upsert_s_max={max(walls):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
