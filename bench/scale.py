"""Scale: run-now of 10,000 (job, OLT) pairs, its plan, storing 16k ONUs, the soak's lag,
the worker pool's start and memory; on SQLite and PostgreSQL (TEST_DATABASE_URL).

Usage: python bench/scale.py [--olts 1000] [--jobs 10] [--runs 3] [--workers 20]
                             [--soak-minutes 3] [--soak-olts 20] [--skip soak,store,queries]

- run-now: `run_jobs_now` of --jobs jobs on --olts OLTs each (server time, as the admin's
  confirmed action and the CLI spend it), against RQ's own `Queue.enqueue_many` of as many
  jobs on the same Redis in the same run; the ratio is the first over the second. Their
  CPU (runnow_cpu_s, enqueue_many_cpu_s: this process's, threads included, not the
  database's nor Redis's) is steadier than wall time on a loaded machine.
- plan: `plan_run` of the same jobs (the confirmation page's plan).
- store: a 16,384-ONU poll stored (bench/store.py's measure_store16k).
- lag: bench/soak.py's p95 lag from a slot to the start of its execution.
- pool: `manage_cli.py worker --workers N` until N workers are registered; then the pool's
  PSS (/proc/PID/smaps_rollup, shared pages counted once) summed over the parent and workers.
- queries (PostgreSQL only): bench/queries.py's list pages, home and /metrics at
  --queries-rows ONUs and executions (filling 1,000,000 of each takes minutes).
The last line is
`runnow10k_ratio_max=… plan10k_s_max=… store16k_s_max=… lag_p95_s=… workers_ready_s=… pool_pss_mb=…`
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/

from sqlalchemy import delete, insert, select, text  # noqa: E402

from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402


def _databases(tmp: Path):
    import upsert  # bench/upsert.py: the throw-away PostgreSQL database of every bench

    return upsert.databases(tmp, "scale.db")


def _app(url: str, redis_url: str):
    from flask_migrate import upgrade

    from webapp import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": redis_url}
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def _fill(olts: int, jobs: int) -> list[int]:
    """olts OLTs and jobs poll jobs, each on every OLT; returns the job ids."""
    from webapp.extensions import db
    from webapp.models import JobHost, Olt, SnmpJob
    from webapp.seed import seed_profiles

    brand = next(b for b in seed_profiles() if b.name == "Huawei")
    db.session.execute(
        insert(Olt),
        [
            {"name": f"olt-{n:04d}", "brand_id": brand.id, "host": "127.0.0.1", "community": "x"}
            for n in range(olts)
        ],
    )
    olt_ids = db.session.scalars(select(Olt.id).order_by(Olt.id)).all()
    job_ids = db.session.scalars(
        insert(SnmpJob).returning(SnmpJob.id, sort_by_parameter_order=True),
        [
            {"name": f"poll {n}", "brand_id": brand.id, "job_type": "poll", "options": {}}
            for n in range(jobs)
        ],
    ).all()
    db.session.execute(
        insert(JobHost), [{"job_id": j, "olt_id": o} for j in job_ids for o in olt_ids]
    )
    db.session.commit()
    return list(job_ids)


def _clear(redis) -> None:
    from webapp.extensions import db
    from webapp.models import Execution

    db.session.execute(delete(Execution))
    db.session.commit()
    redis.flushdb()


def _enqueue_many(redis, n: int) -> tuple[float, float]:
    """RQ's own enqueue_many of n jobs in one pipeline: the yardstick (wall and CPU s)."""
    from rq import Queue

    queue = Queue("discovery_main", connection=redis)
    started, cpu = time.perf_counter(), time.process_time()
    datas = [
        Queue.prepare_data("jobs.runner.run_execution", args=(i,), job_id=f"execution-{i}")
        for i in range(1, n + 1)
    ]
    with redis.pipeline() as pipe:
        queue.enqueue_many(datas, pipeline=pipe)
        pipe.execute()
    return time.perf_counter() - started, time.process_time() - cpu


def measure_runnow(url: str, redis_url: str, olts: int, jobs: int, runs: int) -> dict:
    """Median run-now and plan times over runs, with RQ's enqueue_many in the same runs."""
    from jobs.dispatch import plan_run, run_jobs_now
    from jobs.queues import get_redis
    from webapp.extensions import db

    app = _app(url, redis_url)
    redis = get_redis(redis_url)
    with app.app_context():
        job_ids = _fill(olts, jobs)
        pairs = olts * jobs
        runnow, baseline, plan, runnow_cpu, baseline_cpu = [], [], [], [], []
        for _ in range(runs):
            _clear(redis)
            wall, cpu = _enqueue_many(redis, pairs)
            baseline.append(wall)
            baseline_cpu.append(cpu)
            _clear(redis)
            db.session.remove()
            started = time.perf_counter()
            plans = plan_run(job_ids)
            plan.append(time.perf_counter() - started)
            assert sum(p.count for p in plans) == pairs
            db.session.remove()
            started, cpu = time.perf_counter(), time.process_time()
            report = run_jobs_now(job_ids)
            runnow.append(time.perf_counter() - started)
            runnow_cpu.append(time.process_time() - cpu)  # this process's, threads included
            assert report.created == pairs and report.enqueued == pairs, report.queue_error
            db.session.remove()
        _clear(redis)
    run_s, base_s = statistics.median(runnow), statistics.median(baseline)
    return {
        "runnow_s": run_s,
        "enqueue_many_s": base_s,
        "ratio": run_s / base_s,
        "runnow_cpu_s": statistics.median(runnow_cpu),
        "enqueue_many_cpu_s": statistics.median(baseline_cpu),
        "plan_s": statistics.median(plan),
    }


def _registered(redis) -> int:
    from rq import Worker

    return len(Worker.all(connection=redis))


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
    return int(match.group(1)) if match else 0


def _tree(pid: int) -> list[int]:
    """pid and every descendant."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids = [pid]
    for child in out.split():
        pids += _tree(int(child))
    return pids


def measure_pool(url: str, redis_url: str, workers: int) -> dict:
    """Seconds until `workers` workers are registered; the pool's summed PSS after 5 s idle."""
    from jobs.queues import get_redis
    from jobs.workers import worker_pool_command

    redis = get_redis(redis_url)
    redis.flushdb()
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY="bench")
    env.pop("OLTWATCH_EMBEDDED", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        worker_pool_command(workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ready = None
        while time.perf_counter() - started < 120 and proc.poll() is None:
            if _registered(redis) >= workers:
                ready = time.perf_counter() - started
                break
            time.sleep(0.05)
        time.sleep(5)
        pss = sum(_pss_kb(p) for p in _tree(proc.pid)) / 1024
    finally:
        stop_process(proc, "worker pool")
    return {"workers_ready_s": ready if ready is not None else float("inf"), "pool_pss_mb": pss}


def measure_store(url: str) -> dict:
    """bench/store.py's 16,384-ONU poll store, when that bench is there."""
    try:
        import store
    except ImportError:
        print("notice: bench/store.py is missing; the store is not measured")
        return {}
    figures = store.measure_store16k(None if url.startswith("sqlite") else url)
    return {"store16k_s": max(figures["new_s"], figures["again_s"]), **figures}


def measure_queries(url: str, size: int) -> dict:
    """bench/queries.py on its own empty database: the list pages, home and /metrics, p95."""
    import queries

    base = os.environ["TEST_DATABASE_URL"]
    import upsert

    admin, name, fresh = upsert._postgres(base)
    try:
        figures = queries.measure(fresh, onus=size, executions=size, olts=max(10, size // 1000))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for page, f in figures["pages"].items():
        print(f"  queries: {page}: p50 {f['p50_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms")
    return {"queries_p95_ms": figures["p95_ms_max"]}


def measure_soak(url: str | None, minutes: float, olts: int, workers: int) -> dict:
    """bench/soak.py's p95 lag (a subprocess; its own Redis, lab and database)."""
    env = dict(os.environ)
    if url and not url.startswith("sqlite"):
        env["SOAK_DATABASE_URL"] = url
    cmd = [sys.executable, str(ROOT / "bench" / "soak.py"), "--minutes", str(minutes)]
    cmd += ["--olts", str(olts), "--workers", str(workers)]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True).stdout
    print("  soak: " + out.strip().replace("\n", "\n  soak: "))
    match = re.search(r"lag_p95_s=([\d.]+)", out)
    return {"lag_p95_s": float(match.group(1)) if match else float("inf")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olts", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--soak-minutes", type=float, default=3)
    parser.add_argument("--soak-olts", type=int, default=20)
    parser.add_argument("--queries-rows", type=int, default=1_000_000, help="ONUs, executions")
    parser.add_argument("--skip", default="", help="comma-separated: soak,store,pool,queries")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="oltwatch-scale-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_tcp_port()
        redis_proc = start_redis(tmp / "redis", port)
        redis_url = f"redis://127.0.0.1:{port}/0"
        try:
            for name, url, drop in _databases(tmp):
                try:
                    r = measure_runnow(url, redis_url, args.olts, args.jobs, args.runs)
                    if "store" not in skip:
                        r |= measure_store(url)
                    if "pool" not in skip and name == "sqlite":
                        r |= measure_pool(url, redis_url, args.workers)
                    if "soak" not in skip:
                        r |= measure_soak(url, args.soak_minutes, args.soak_olts, args.workers)
                    if "queries" not in skip and name == "postgresql":
                        r |= measure_queries(url, args.queries_rows)
                finally:
                    drop()
                results[name] = r
                print(f"{name}: " + " ".join(f"{k}={v:.3f}" for k, v in r.items()), flush=True)
        finally:
            stop_process(redis_proc, "redis-server", grace=10)

    def worst(key: str) -> float:
        values = [r[key] for r in results.values() if key in r]
        return max(values) if values else float("nan")

    print(f"queries (PostgreSQL: lists, home, /metrics): p95_ms_max={worst('queries_p95_ms'):.0f}")
    print(
        f"runnow10k_ratio_max={worst('ratio'):.2f} plan10k_s_max={worst('plan_s'):.3f} "
        f"store16k_s_max={worst('store16k_s'):.3f} lag_p95_s={worst('lag_p95_s'):.2f} "
        f"workers_ready_s={worst('workers_ready_s'):.2f} pool_pss_mb={worst('pool_pss_mb'):.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
