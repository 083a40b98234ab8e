"""The OLT list's extra columns (issue 13): what last poll, reachability and ONU counts cost.

Usage: TEST_DATABASE_URL=postgresql://… python bench/olt_list.py [--onus 200000]
                                      [--executions 200000] [--olts 200] [--runs 7]

Fills a throw-away PostgreSQL database as bench/queries.py does, then fetches /admin/olt/
(50 OLTs a page) --runs times with the columns, and with them off (olt_page.facts patched to
return nothing): CPU time of this process (process_time: the page's Python, not PostgreSQL's)
and wall time, both p50, with the ONU counts computed on every fetch (cold) and cached
(warm), and the statements each page ran. Last line:
`olt_list_extra_ms_p50=<wall ms added, cold counts> statements=<with>/<without>`.
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
sys.path.append(str(ROOT / "bench"))

import queries  # noqa: E402
import queries_data  # noqa: E402
import upsert  # noqa: E402
from sqlalchemy import create_engine, event  # noqa: E402

from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402


def _fetch(app, client, runs: int, cold: bool) -> tuple[float, float, int]:
    walls, cpus, statements = [], [], []
    for _run in range(runs):
        if cold:
            app.extensions.pop("oltwatch_olt_list_onus", None)
        counted = [0]

        def count(*args, counted=counted):
            counted[0] += 1

        with app.app_context():
            from webapp.extensions import db

            event.listen(db.engine, "before_cursor_execute", count)
            wall, cpu = time.perf_counter(), time.process_time()
            r = client.get("/admin/olt/")
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            event.remove(db.engine, "before_cursor_execute", count)
        assert r.status_code == 200
        statements.append(counted[0])
    return statistics.median(walls), statistics.median(cpus), max(statements)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=200_000)
    parser.add_argument("--executions", type=int, default=200_000)
    parser.add_argument("--olts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    admin, name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])
    tmp = tempfile.TemporaryDirectory()
    port = free_tcp_port()
    redis = start_redis(Path(tmp.name) / "redis", port)
    try:
        app = queries._app(url, f"redis://127.0.0.1:{port}/0")
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        queries_data.fill(engine, args.olts, args.onus, args.executions)
        engine.dispose()
        client = queries._staff_client(app)
        client.get("/admin/olt/")  # warm the templates and the connection pool
        from webapp.admin import olt_page

        real = olt_page.facts
        rows = {}
        for label, facts in (("with", real), ("without", lambda olts: {})):
            olt_page.facts = facts
            for cold in (True, False):
                rows[(label, cold)] = _fetch(app, client, args.runs, cold)
        olt_page.facts = real
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
    finally:
        stop_process(redis, "redis-server", grace=5)
        tmp.cleanup()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for (label, cold), (wall, cpu, n) in rows.items():
        counts = "cold" if cold else "warm"
        print(f"{label:<8} counts {counts}  wall p50 {wall:7.1f} ms  cpu p50 {cpu:7.1f} ms  "
              f"statements {n}")  # fmt: skip
    extra = rows[("with", True)][0] - rows[("without", True)][0]
    print(
        f"olt_list_extra_ms_p50={extra:.1f} "
        f"statements={rows[('with', True)][2]}/{rows[('without', True)][2]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
