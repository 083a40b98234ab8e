"""The admin's lists, the home page and /metrics at an ISP's size (issue 11, point 5).

Usage: python bench/queries.py [--onus 1000000] [--executions 1000000] [--olts 1000]
                               [--runs 5] [--sqlite]

PostgreSQL from TEST_DATABASE_URL: a throw-away database is created next to it, migrated,
filled (bench/queries_data.py: COPY), timed and dropped. --sqlite measures a SQLite file too
(slow to fill at full size). Each page is fetched once cold, then --runs times, as a
logged-in staff user through Flask's test client; a private redis-server answers the queue
parts of the home page and /metrics. Prints the first fetch's time and p50/p95 of the
others per page and database (and the count the list showed), and last
`queries_p95_ms_max=<ms> slowest=<database>:<page>`.
bench/scale.py calls measure(url) with the URL of an empty database it may fill.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/history.py must not hide history

import queries_data  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402

PASSWORD = "bench-password-1"
COUNT_SHOWN = re.compile(r">List \(([^)]*)\)<")


def _filter_index(view, column: str, kind: str) -> str:
    """A list filter's name in the URL (?flt0_<name>=…): its index, or its name where the
    view names its filters."""
    for i, flt in enumerate(view._filters):
        if getattr(flt.column, "key", None) == column and type(flt).__name__ == kind:
            return view.get_filter_arg(i, flt)
    raise LookupError(f"{view.endpoint} has no {kind} filter on {column}")


def pages(app) -> dict[str, str]:
    """Page name -> URL: what a NOC opens all day, with values taken from the data."""
    from webapp.extensions import db
    from webapp.models import Onu

    with app.app_context():
        onu = db.session.get(Onu, db.session.scalar(select(func.max(Onu.id))) // 2 + 1)
        ex = app.extensions["admin"][0]._views
        view = next(v for v in ex if v.endpoint == "execution")
        flt = {
            k: _filter_index(view, c, t)
            for k, c, t in (
                ("status", "status", "FilterEqual"),
                ("job", "job_name", "FilterEqual"),
                ("olt", "olt_name", "FilterEqual"),
                ("trigger", "trigger", "FilterEqual"),
                ("between", "created_at", "DateTimeBetweenFilter"),
            )
        }
        olt, sn, slot, port = onu.olt.name, onu.serial, onu.slot, onu.port
        surname = onu.description.split(" - ")[0].split()[-1]
    day = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
    return {
        "onu_list": "/admin/onu/",
        "onu_search_serial": f"/admin/onu/?search={sn[:9]}",
        "onu_search_vendor": f"/admin/onu/?search={sn[:4]}",
        "onu_search_description": f"/admin/onu/?search={surname}",
        "onu_filter_olt": f"/admin/onu/?flt0_olt_equals={olt}",
        "onu_filter_pon": f"/admin/onu/?flt0_olt_equals={olt}&flt1_slot_equals={slot}"
        f"&flt2_port_equals={port}",
        "onu_filter_state": "/admin/onu/?flt0_state_label_equals=LOS",
        "onu_filter_absent": "/admin/onu/?flt0_presence_equals=0",
        "onu_offline": "/admin/onu/?flt0_offline_equals=1",
        "onu_low_signal": "/admin/onu/?flt0_low_signal_equals=1",
        "olt_list": "/admin/olt/",
        "execution_list": "/admin/execution/",
        "execution_status": f"/admin/execution/?flt0_{flt['status']}=FAILED",
        "execution_status_running": f"/admin/execution/?flt0_{flt['status']}=RUNNING",
        "execution_job": f"/admin/execution/?flt0_{flt['job']}=get-uptime",
        "execution_olt": f"/admin/execution/?flt0_{flt['olt']}={olt}",
        "execution_trigger": f"/admin/execution/?flt0_{flt['trigger']}=cli",
        "execution_dates": f"/admin/execution/?flt0_{flt['between']}={day}+00:00:00+to+"
        f"{day}+23:59:59",
        "home": "/admin/",
        "metrics": "/metrics",
    }


def _app(url: str, redis_url: str):
    from flask_migrate import upgrade

    from webapp import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": redis_url,
            "WTF_CSRF_ENABLED": False,  # the bench logs in with a plain POST
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def _staff_client(app):
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        user = User(username="bench-noc", is_staff=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    r = client.post("/login", data={"username": "bench-noc", "password": PASSWORD})
    assert r.status_code == 302, f"login failed: {r.status_code}"
    return client


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def time_pages(app, runs: int) -> dict[str, dict[str, float]]:
    """Milliseconds of every page in pages(): the first fetch, then p50/p95 of --runs more."""
    client = _staff_client(app)
    out = {}
    for name, url in pages(app).items():
        times = []
        for _run in range(runs + 1):
            started = time.perf_counter()
            r = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert r.status_code == 200, f"{name}: {url} answered {r.status_code}"
            times.append(elapsed)
        found = COUNT_SHOWN.search(r.text)  # the pager's count: proof the filter applied
        out[name] = {
            "first_ms": times.pop(0),  # a cold cache (the home page's ONU counts) shows here
            "p50_ms": statistics.median(times),
            "p95_ms": _quantile(times, 0.95),
            "count": found.group(1) if found else "",
        }
    return out


def measure(
    database_url: str,
    onus: int = 1_000_000,
    executions: int = 1_000_000,
    olts: int = 1000,
    runs: int = 5,
) -> dict:
    """Fill the empty database at database_url, then time every page; figures per page."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_tcp_port()
        redis = start_redis(Path(tmp) / "redis", port)
        try:
            app = _app(database_url, f"redis://127.0.0.1:{port}/0")
            engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.perf_counter()
            queries_data.fill(engine, olts, onus, executions)
            engine.dispose()
            print(f"filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            figures = time_pages(app, runs)
            with app.app_context():
                from webapp.extensions import db

                db.engine.dispose()
        finally:
            stop_process(redis, "redis-server", grace=5)
    slowest = max(figures, key=lambda k: figures[k]["p95_ms"])
    return {"pages": figures, "p95_ms_max": figures[slowest]["p95_ms"], "slowest": slowest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=1_000_000)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--olts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="measure SQLite as well")
    args = parser.parse_args()
    sizes = dict(onus=args.onus, executions=args.executions, olts=args.olts, runs=args.runs)
    results = {}
    if os.environ.get("TEST_DATABASE_URL"):
        import upsert  # bench/upsert.py: the throw-away PostgreSQL database of every bench

        admin, name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])
        try:
            results["postgresql"] = measure(url, **sizes)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", **sizes)
    for db_name, result in results.items():
        for page, f in result["pages"].items():
            times = f"first {f['first_ms']:7.1f}  p50 {f['p50_ms']:7.1f}  p95 {f['p95_ms']:7.1f} ms"
            print(f"{db_name:<10} {page:<26} {times}  {f['count']}")
    if not results:
        return 1
    worst = max(results, key=lambda k: results[k]["p95_ms_max"])
    first = max(f["first_ms"] for r in results.values() for f in r["pages"].values())
    print(
        f"queries_p95_ms_max={results[worst]['p95_ms_max']:.1f} "
        f"slowest={worst}:{results[worst]['slowest']} first_ms_max={first:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
