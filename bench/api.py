"""API speed: listing 100 ONUs by serial prefix out of --onus (PostgreSQL), and run-now
through the API against the CLI's run command, on SQLite and PostgreSQL (TEST_DATABASE_URL).

Usage: python bench/api.py [--onus 1000000] [--olts 1000] [--jobs 10] [--runs 3]
                           [--skip prefix,runnow]

- prefix: GET /api/v1/onus?serial=<prefix>&limit=100 through the app (server time, with
  its token check, rate limit and JSON), for 40 prefixes of 4 (a vendor: a quarter of the
  ONUs), 6, 8 and 12 characters (one ONU) of serials in the data; p50 and p95 per length.
  PostgreSQL only unless --prefix-sqlite (filling a million rows into SQLite is slow).
- runnow: POST /api/v1/jobs/run of --jobs jobs on --olts OLTs each against
  `manage_cli.py run` of the same jobs (in-process, click's runner): medians of --runs; the
  ratio is the API's time over the CLI's.
The last line is `onu_prefix100_ms_p95=… runnow_api_over_cli=…`
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/

from sqlalchemy import create_engine, text  # noqa: E402

from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402

LENGTHS = (4, 6, 8, 12)
PER_LENGTH = 10


def _app(url: str, redis_url: str):
    from flask_migrate import upgrade

    from webapp import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": redis_url,
            "API_RATE_LIMIT": "1000000/minute",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def _token(app, scopes: str) -> str:
    from webapp.extensions import db
    from webapp.models import User
    from webapp.tokens import create_token

    with app.app_context():
        user = db.session.query(User).filter_by(username="bench-api").one_or_none()
        if user is None:
            user = User(username="bench-api", is_staff=True)
            db.session.add(user)
            db.session.commit()
        return create_token(user, f"bench-{scopes}", scopes, None).token


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(q * len(ordered) + 0.999999) - 1)]


def measure_prefix(url: str, redis_url: str, onus: int, olts: int, runs: int) -> dict:
    import queries_data  # bench/queries_data.py: the bench inventory

    app = _app(url, redis_url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    started = time.perf_counter()
    queries_data.fill(engine, olts, onus, 1000)
    print(f"filled {onus} ONUs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with engine.connect() as conn:
        serials = [
            r[0]
            for r in conn.execute(
                text("SELECT serial FROM onus WHERE id % :step = 0 ORDER BY id LIMIT :n"),
                {"step": max(1, onus // 1000), "n": PER_LENGTH * len(LENGTHS)},
            )
        ]
    engine.dispose()
    token = _token(app, "read")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for k, length in enumerate(LENGTHS):
        times, counts = [], []
        for serial in serials[k * PER_LENGTH : (k + 1) * PER_LENGTH]:
            prefix = serial[:length].lower()  # any case, as a person types it
            for run in range(runs + 1):
                t0 = time.perf_counter()
                r = client.get(f"/api/v1/onus?serial={prefix}&limit=100", headers=headers)
                elapsed = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, r.text
                items = r.get_json()["items"]
                assert items and all(i["serial"].upper().startswith(prefix.upper()) for i in items)
                if run:  # the first one warms the cache
                    times.append(elapsed)
                    counts.append(len(items))
        out[length] = {
            "p50_ms": statistics.median(times),
            "p95_ms": _quantile(times, 0.95),
            "items": statistics.median(counts),
        }
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()
    return out


def measure_runnow(url: str, redis_url: str, olts: int, jobs: int, runs: int) -> dict:
    import scale  # bench/scale.py: its OLTs and jobs, and its clean-up between runs
    from flask import g

    from jobs.queues import get_redis
    from webapp.cli import run_command
    from webapp.extensions import db

    app = _app(url, redis_url)
    token = _token(app, "read,run")
    redis = get_redis(redis_url)
    api_s, cli_s = [], []
    with app.app_context():
        job_ids = scale._fill(olts, jobs)
        pairs = olts * jobs
        scale._clear(redis)
        client = app.test_client()
        runner = app.test_cli_runner()
        for _ in range(runs):
            db.session.remove()
            g.pop("api_token", None)  # this context outlives a request: no token kept from one
            t0 = time.perf_counter()
            r = client.post(
                "/api/v1/jobs/run",
                json={"job_ids": job_ids},
                headers={"Authorization": f"Bearer {token}"},
            )
            api_s.append(time.perf_counter() - t0)
            assert r.status_code == 202 and r.get_json()["created"] == pairs, r.text[:300]
            scale._clear(redis)
            db.session.remove()
            t0 = time.perf_counter()
            result = runner.invoke(run_command, [*map(str, job_ids), "--json"])
            cli_s.append(time.perf_counter() - t0)
            assert result.exit_code == 0 and json.loads(result.output)["created"] == pairs
            scale._clear(redis)
        db.session.remove()
        db.engine.dispose()
    api, cli = statistics.median(api_s), statistics.median(cli_s)
    return {"api_s": api, "cli_s": cli, "ratio": api / cli}


def main() -> int:
    import upsert  # bench/upsert.py: the throw-away databases of every bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=1_000_000)
    parser.add_argument("--olts", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", default="", help="prefix,runnow")
    parser.add_argument("--prefix-sqlite", action="store_true")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    prefix_p95, ratios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        port = free_tcp_port()
        redis = start_redis(Path(tmp) / "redis", port)
        redis_url = f"redis://127.0.0.1:{port}/0"
        try:
            for name, url, drop in upsert.databases(Path(tmp), "api.db"):
                try:
                    if "runnow" not in skip:
                        r = measure_runnow(url, redis_url, args.olts, args.jobs, args.runs)
                        ratios.append(r["ratio"])
                        print(
                            f"{name:<10} run-now {args.olts * args.jobs} pairs: API "
                            f"{r['api_s']:.2f} s, CLI {r['cli_s']:.2f} s, ratio {r['ratio']:.2f}"
                        )
                        drop()
                        url, drop = _fresh(name, tmp, upsert)
                    if "prefix" not in skip and (name == "postgresql" or args.prefix_sqlite):
                        figures = measure_prefix(url, redis_url, args.onus, args.olts, args.runs)
                        for length, f in figures.items():
                            print(
                                f"{name:<10} serial prefix of {length:>2} of {args.onus} ONUs: "
                                f"p50 {f['p50_ms']:6.1f} ms  p95 {f['p95_ms']:6.1f} ms  "
                                f"({f['items']:.0f} items)"
                            )
                            prefix_p95.append(f["p95_ms"])
                finally:
                    drop()
        finally:
            stop_process(redis, "redis-server", grace=5)
    p95 = f"{max(prefix_p95):.1f}" if prefix_p95 else "n/a"
    ratio = f"{max(ratios):.2f}" if ratios else "n/a"
    print(f"onu_prefix100_ms_p95={p95} runnow_api_over_cli={ratio}")
    return 0


def _fresh(name: str, tmp: str, upsert):
    """A new empty database of the same kind (the prefix bench fills its own)."""
    if name == "sqlite":
        path = Path(tmp) / f"api-{time.monotonic_ns()}.db"
        return f"sqlite:///{path}", lambda: None
    admin, db_name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


if __name__ == "__main__":
    sys.exit(main())
