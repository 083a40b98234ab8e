"""A poll of an N-ONU OLT against the original way: a discovery and one get job per attribute.

Usage: python bench/poll.py [--onus 4096] [--runs 3] [--shape huawei] [--agent netsnmp|snmpsim]

Starts a private redis-server and the agent (net-snmp's snmpd with bench/agent's in-memory
module when the Debian packages are there, else snmpsim), and on a fresh SQLite database (and
PostgreSQL when TEST_DATABASE_URL is set) runs, through RQ and a worker in this process:
- the OLT's poll job (it finds the ONUs and collects every attribute the OLT supports), first
  on an empty inventory (inserts), then again (updates);
- the seed's way to the same attributes: a discovery job of the state column, then one get job
  per attribute the poll collected (each its own execution, walk and store).
Prints the medians per database; the last line is
`poll_s=<s> jobs_s=<s> ratio_max=<poll/jobs>` (the slowest database's figures).
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
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/


def _agent(kind: str, tmp: Path, shape: str, onus: int):
    from snmp.lab.generate import generate_rows, write_snmprec

    if kind == "netsnmp":
        from netsnmp_agent import NetSnmpAgent, build_module

        build_module()
        rec = write_snmprec(tmp / "olt.snmprec", generate_rows(shape, onus, seed=5))
        return NetSnmpAgent(rec, community="bench").start()
    from snmp.lab.agent import LabAgent

    agent = LabAgent(tmp / "lab")
    agent.add_olt("bench", shape, onus, seed=5)
    return agent.start()


def _work(redis) -> float:
    from rq import Queue, SimpleWorker

    started = time.perf_counter()
    SimpleWorker([Queue("discovery_main", connection=redis)], connection=redis).work(burst=True)
    return time.perf_counter() - started


def _executions(ids: list[int]) -> list:
    from webapp.extensions import db
    from webapp.models import Execution

    db.session.expire_all()
    rows = [db.session.get(Execution, i) for i in ids]
    bad = [(r.job_name, r.error) for r in rows if r.status != "SUCCESS"]
    if bad:
        raise SystemExit(f"an execution failed: {bad}")
    return rows


def _once(app, redis, olt_id: int, shape: str) -> dict[str, float]:
    """One round: poll on an empty inventory, poll again, then discovery + get jobs."""
    from sqlalchemy import delete, select

    from jobs.dispatch import run_jobs_now
    from jobs.olts import poll_job_of
    from snmp.lab.generate import chosen_columns
    from webapp.extensions import db
    from webapp.models import JobHost, Oid, Olt, Onu, SnmpJob

    out = {}
    with app.app_context():
        db.session.execute(delete(Onu))
        olt = db.session.get(Olt, olt_id)
        poll = poll_job_of(olt)
        db.session.commit()
        for case in ("poll_new", "poll"):
            report = run_jobs_now([poll.id], trigger="cli", label="bench")
            db.session.commit()
            wall = _work(redis)
            (ex,) = _executions(report.execution_ids)
            out[case] = ex.duration_ms / 1000
            out[case + "_wall"] = wall
            out[case + "_snmp"] = ex.summary["snmp_s"]
            out[case + "_db"] = ex.summary["db_s"]
        attributes = list(ex.summary["tables"])
        jobs = db.session.scalars(select(SnmpJob).where(SnmpJob.job_type != "poll")).all()
        if not jobs:  # the same attributes, one job each (the original system's way)
            for name, column in chosen_columns(shape).items():
                if name not in attributes:
                    continue
                oid = db.session.scalar(
                    select(Oid).filter_by(brand_id=olt.brand_id, oid=column.oid)
                )
                job_type = "discovery" if name == "state" else "get"
                db.session.add(
                    SnmpJob(
                        name=f"bench {job_type} {name}",
                        brand_id=olt.brand_id,
                        job_type=job_type,
                        oid_id=oid.id,
                        hosts=[JobHost(olt_id=olt.id)],
                    )
                )
            db.session.commit()
            jobs = db.session.scalars(select(SnmpJob).where(SnmpJob.job_type != "poll")).all()
        db.session.execute(delete(Onu))
        db.session.commit()
        total, wall = 0.0, 0.0
        ordered = sorted(jobs, key=lambda j: j.job_type != "discovery")  # discovery first
        for job in ordered:
            report = run_jobs_now([job.id], trigger="cli", label="bench")
            db.session.commit()
            wall += _work(redis)
            (ex,) = _executions(report.execution_ids)
            total += ex.duration_ms / 1000
        out["jobs"], out["jobs_wall"], out["jobs_count"] = total, wall, len(ordered)
        db.session.remove()
    return out


def measure(url: str, redis_url: str, port: int, shape: str, onus: int, runs: int) -> dict:
    from flask_migrate import upgrade

    from jobs.olts import NewOlt, add_olt
    from jobs.queues import get_redis
    from snmp.lab.generate import get_shape
    from snmp.profiles import get_profile
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": redis_url}
    )
    redis = get_redis(redis_url)
    redis.flushdb()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        profile = get_profile(get_shape(shape).profile)
        olt = add_olt(
            NewOlt(
                name="bench-olt", host="127.0.0.1", port=port, community="bench",
                brand=profile.brand, model=profile.models[0], timeout=5, retries=1,
            )
        )  # fmt: skip
        olt_id = olt.id
        db.session.remove()
    rounds = [_once(app, redis, olt_id, shape) for _ in range(runs)]
    with app.app_context():
        db.engine.dispose()
    return {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", default="huawei", help="a lab shape (snmp/lab/generate.py)")
    parser.add_argument("--agent", choices=("netsnmp", "snmpsim"), default=None)
    args = parser.parse_args()
    from webapp.devstack import free_tcp_port, start_redis, stop_process

    kind = args.agent
    if kind is None:
        from netsnmp_agent import missing_packages

        kind = "snmpsim" if missing_packages(build=True, run=True) else "netsnmp"
    results = {}
    with tempfile.TemporaryDirectory(prefix="oltwatch-poll-") as tmp_name:
        tmp = Path(tmp_name)
        redis_port = free_tcp_port()
        redis = start_redis(tmp / "redis", redis_port)
        agent = _agent(kind, tmp, args.shape, args.onus)
        try:
            print(f"{args.onus} ONUs of lab shape {args.shape} served by {kind}; {args.runs} runs")
            results["sqlite"] = measure(
                f"sqlite:///{tmp}/bench.db", f"redis://127.0.0.1:{redis_port}/0",
                agent.port, args.shape, args.onus, args.runs,
            )  # fmt: skip
            if os.environ.get("TEST_DATABASE_URL"):
                import upsert

                admin, name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])
                try:
                    results["postgresql"] = measure(
                        url, f"redis://127.0.0.1:{redis_port}/1", agent.port, args.shape,
                        args.onus, args.runs,
                    )  # fmt: skip
                finally:
                    with admin.connect() as conn:
                        conn.execute(upsert.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
            else:
                print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
        finally:
            agent.stop()
            stop_process(redis, "redis-server", grace=10)
    worst = None
    for db_name, r in results.items():
        print(
            f"{db_name:<10} poll (new inventory) {r['poll_new']:.2f} s "
            f"(snmp {r['poll_new_snmp']:.2f}, db {r['poll_new_db']:.2f}); "
            f"poll again {r['poll']:.2f} s (snmp {r['poll_snmp']:.2f}, db {r['poll_db']:.2f}); "
            f"discovery + {r['jobs_count'] - 1:.0f} get jobs {r['jobs']:.2f} s "
            f"(worker wall {r['jobs_wall']:.2f} s vs poll {r['poll_wall']:.2f} s)"
        )
        ratio = r["poll"] / r["jobs"]
        if worst is None or r["poll"] > worst[0]:
            worst = (r["poll"], r["jobs"], ratio)
    ratios = [r["poll"] / r["jobs"] for r in results.values()]
    print(f"poll_s={worst[0]:.3f} jobs_s={worst[1]:.3f} ratio_max={max(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
