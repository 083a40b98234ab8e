"""The poll, a discovery and a get job on a 16,384-ONU simulated OLT, run by an RQ worker.

Usage: python bench/worker_big.py [--onus 16384] [--agent netsnmp|snmpsim]

Starts a private redis-server, the agent (net-snmp's snmpd with bench/agent's module when
available, else snmpsim), a fresh SQLite database (and PostgreSQL too when TEST_DATABASE_URL
is set), runs the OLT's poll, then a discovery and the serial and rx get jobs through RQ with
a SimpleWorker, and prints each execution's status, duration, counts and SNMP time vs
database time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/


def _agent(kind: str, tmp: Path, onus: int):
    from snmp.lab.generate import generate_rows, write_snmprec

    if kind == "netsnmp":
        from netsnmp_agent import NetSnmpAgent, build_module

        build_module()
        rec = write_snmprec(tmp / "big.snmprec", generate_rows("huawei", onus, seed=5))
        return NetSnmpAgent(rec, community="big").start(), "big"
    from snmp.lab.agent import LabAgent

    agent = LabAgent(tmp / "lab")
    agent.add_olt("big", "huawei", onus, seed=5)
    return agent.start(), "big"


def _run(database_url: str, redis_url: str, port: int, community: str) -> None:
    from flask_migrate import upgrade
    from rq import Queue, SimpleWorker
    from sqlalchemy import select

    from jobs.dispatch import run_jobs_now
    from jobs.queues import get_redis
    from snmp.profiles import get_profile
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Execution, JobHost, Oid, SnmpJob
    from webapp.seed import seed_demo_olt

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "REDIS_URL": redis_url}
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        olt = seed_demo_olt("big-olt", "huawei", "127.0.0.1", port, community)
        olt.timeout, olt.retries = 5, 1
        profile = get_profile("huawei")
        for name, job_type, attribute in (
            ("discovery", "discovery", "state"),
            ("serial", "get", "serial"),
            ("rx_power", "get", "rx_power"),
        ):
            oid = db.session.scalar(
                select(Oid).filter_by(brand_id=olt.brand_id, oid=profile.first(attribute).oid)
            )
            db.session.add(
                SnmpJob(
                    name=name,
                    brand_id=olt.brand_id,
                    job_type=job_type,
                    oid_id=oid.id,
                    hosts=[JobHost(olt_id=olt.id)],
                )
            )
        db.session.commit()
        jobs = {j.name: j.id for j in db.session.scalars(select(SnmpJob))}
        redis = get_redis(redis_url)
        for name in ("poll big-olt", "discovery", "serial", "rx_power"):
            report = run_jobs_now([jobs[name]], trigger="cli", label="bench")
            db.session.commit()
            started = time.perf_counter()
            SimpleWorker([Queue("discovery_main", connection=redis)], connection=redis).work(
                burst=True
            )
            wall = time.perf_counter() - started
            ex = db.session.get(Execution, report.execution_ids[0])
            s = ex.summary
            counts = (
                f"found {s.get('found')} new {s.get('new')}"
                if "found" in s
                else f"stored {s.get('stored')} of {s.get('targets')}"
            )
            print(
                f"  {name:<14} {ex.status:<8} {ex.duration_ms / 1000:6.2f} s "
                f"(snmp {s.get('snmp_s')} s, db {s.get('db_s')} s; worker wall {wall:.2f} s)"
                f"  {counts}  {ex.error or ''}"
            )
            db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=16384)
    parser.add_argument("--agent", choices=("netsnmp", "snmpsim"), default=None)
    args = parser.parse_args()
    from webapp.devstack import free_tcp_port, start_redis, stop_process

    kind = args.agent
    if kind is None:
        from netsnmp_agent import missing_packages

        kind = "snmpsim" if missing_packages(build=True, run=True) else "netsnmp"
    with tempfile.TemporaryDirectory(prefix="oltwatch-big-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_tcp_port()
        redis = start_redis(tmp / "redis", port)
        agent, community = _agent(kind, tmp, args.onus)
        try:
            print(f"{args.onus} Huawei ONUs served by {kind} on udp port {agent.port}")
            print("sqlite:")
            _run(f"sqlite:///{tmp}/big.db", f"redis://127.0.0.1:{port}/0", agent.port, community)
            if os.environ.get("TEST_DATABASE_URL"):
                import upsert

                admin, name, url = upsert._postgres(os.environ["TEST_DATABASE_URL"])
                try:
                    print("postgresql:")
                    _run(url, f"redis://127.0.0.1:{port}/1", agent.port, community)
                finally:
                    with admin.connect() as conn:
                        conn.execute(upsert.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
            else:
                print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
        finally:
            agent.stop()
            stop_process(redis, "redis-server", grace=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
