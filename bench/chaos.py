"""Chaos: the scheduler, 20 workers and simulated OLTs on a private Redis, with faults injected
on the way; then count what was dispatched and how each execution ended.

Usage: python bench/chaos.py [--minutes 5] [--olts 20] [--workers 20] [--fault-every 15]
                             [--onus 128] [--seed 1]

Starts its own redis-server (no persistence, as `make run` does), snmpsim serving --olts
Huawei-shaped OLTs, a fresh SQLite database (a fresh PostgreSQL database next to
TEST_DATABASE_URL when that is set), `manage_cli.py scheduler` and `manage_cli.py worker`. Every
OLT has its poll job every minute (two retries, 5 s apart). Besides them: an OLT behind a
UDP relay that goes silent for a minute when told to, a hostile OLT (snmp/lab/hostile.py:
every walk endless, every value 2.5 KB), and an SNMPv3 OLT whose agent never answers. Every secret
(communities, v3 keys) is a distinctive string, searched for at the end.

Faults, one every --fault-every seconds, in a shuffled cycle:
- kill-worker: SIGKILL a busy worker, one running a job (the pool starts a new worker);
- kill-rq-scheduler: SIGKILL the queue's RQ scheduler (a child process of one worker, which
  starts it again);
- flushall: Redis FLUSHALL;
- redis-restart: stop Redis and start an empty one on the same port;
- db-lock: hold the database's write lock for 5 s;
- olt-silent: the relayed OLT stops answering for 60 s;
- double-submit: two "run now" of one job at the same instant (two threads).

At the end the scheduler stops, the reaper drains what is left, and the figures are printed:
- lost: runs that never happened because of the faults (FAILED "never run" or "queue
  unavailable" without a successful retry; a job whose schedule stopped; a double submit
  that created nothing although nothing was active);
- stuck: executions still PENDING or RUNNING after the drain;
- duplicates: two executions for one scheduled slot, or a double submit creating two;
- overlaps: two executions of one OLT running at once;
- secrets_in_logs: occurrences of any secret, as text or hex, in the processes' logs, the
  executions', jobs' and OLTs' rows as stored (secrets are encrypted at rest), and every
  Redis key, value and RQ job (unpacked), searched before each FLUSHALL or restart and at
  the end (tests/secret_scan.py, as tests/test_secrets.py searches).

The database: a fresh SQLite file, or, when TEST_DATABASE_URL names a PostgreSQL server, a
fresh database created next to it and dropped at the end.
The last line is `faults=N lost=0 stuck=0 duplicates=0 overlaps=0 secrets_in_logs=0` (the
real counts); the exit code is 0 only when all but `faults` are 0.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.exceptions import RedisError  # noqa: E402
from soak import busy_workers  # noqa: E402  (bench/soak.py)
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.secret_scan import forms, redis_dump  # noqa: E402
from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402

FAULTS = (
    "kill-worker",
    "kill-rq-scheduler",
    "flushall",
    "redis-restart",
    "db-lock",
    "olt-silent",
    "double-submit",
)
SECRET = "chaos-secret"  # every community and key contains it
V3_AUTH, V3_PRIV = f"{SECRET}-v3-auth-7731", f"{SECRET}-v3-priv-9124"


# ---------------------------------------------------------------- agents of our own


class Relay(threading.Thread):
    """A UDP relay in front of the lab: answers while ``silent`` is clear."""

    def __init__(self, upstream: int):
        super().__init__(daemon=True)
        self.upstream = ("127.0.0.1", upstream)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.silent = threading.Event()
        self.stopped = False
        self.clients: dict[tuple, socket.socket] = {}

    def run(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.silent.is_set():
                continue
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            out.settimeout(5)
            try:
                out.sendto(data, self.upstream)
                answer = out.recv(65535)
                self.sock.sendto(answer, addr)
            except OSError:
                pass
            finally:
                out.close()

    def stop(self):
        self.stopped = True
        self.join(2)
        self.sock.close()


# ---------------------------------------------------------------- setup


def _database(tmp: Path) -> tuple[str, callable]:
    """A fresh database URL and its clean-up."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp}/chaos.db", lambda: None
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"oltwatch_chaos_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def _setup(app, olts: int, lab_port: int, relay: Relay, hostile, silent: int):
    from flask_migrate import upgrade

    from jobs.olts import NewOlt, add_olt
    from webapp.extensions import db
    from webapp.models import SnmpJob
    from webapp.seed import seed_profiles

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_profiles()
        rows = [
            NewOlt(name=f"olt-{n:03d}", host="127.0.0.1", port=lab_port,
                   community=f"{SECRET}-{n:03d}", brand="Huawei", model="MA5608T")
            for n in range(olts)
        ]  # fmt: skip
        rows += [
            NewOlt(name="flaky", host="127.0.0.1", port=relay.port,
                   community=f"{SECRET}-flaky", brand="Huawei", model="MA5608T"),
            NewOlt(name="hostile", host="127.0.0.1", port=hostile.port,
                   community=f"{SECRET}-hostile", brand="Huawei", model="MA5608T"),
            NewOlt(name="v3-silent", host="127.0.0.1", port=silent, version="3",
                   v3_user="chaos", v3_auth_key=V3_AUTH, v3_priv_key=V3_PRIV,
                   brand="Huawei", model="MA5608T"),
        ]  # fmt: skip
        for new in rows:
            new.timeout, new.retries = 1.0, 1
            add_olt(new)
        for job in db.session.scalars(select(SnmpJob)):
            job.interval, job.max_retries, job.retry_delay = "1m", 2, 5
        db.session.commit()


# ---------------------------------------------------------------- faults


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _rq_scheduler(pool_pid: int) -> int | None:
    """The RQ scheduler process (the only child of a pool's worker)."""
    for worker in _children(pool_pid):
        for child in _children(worker):
            return child
    return None


class Chaos:
    """The running system and the faults done to it."""

    def __init__(self, app, tmp: Path, db_url: str, redis_port: int, redis_proc, relay):
        self.app, self.tmp, self.db_url = app, tmp, db_url
        self.redis_port, self.redis_proc, self.relay = redis_port, redis_proc, relay
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        self.procs: dict[str, subprocess.Popen] = {}
        self.done: Counter = Counter()
        self.skipped: Counter = Counter()
        self.submits: list[tuple[int, bool]] = []  # (executions created, one was active)
        self.restarts = 0
        self.redis_found: Counter = Counter()  # secrets seen in Redis before it lost its data

    def start(self, workers: int) -> None:
        from jobs.workers import worker_pool_command

        env = dict(
            os.environ, DATABASE_URL=self.db_url, REDIS_URL=self.redis_url,
            SECRET_KEY="chaos-app-key", PENDING_GRACE="5",
        )  # fmt: skip
        env.pop("OLTWATCH_EMBEDDED", None)
        scheduler = [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "2"]
        for name, cmd in (
            ("workers", worker_pool_command(workers)),
            ("scheduler", scheduler),
        ):
            log = (self.tmp / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def fault(self, name: str) -> bool:
        """Do one fault; False if it could not be done (no busy worker to kill)."""
        if getattr(self, "_" + name.replace("-", "_"))() is False:
            self.skipped[name] += 1
            return False
        self.done[name] += 1
        return True

    def _kill_worker(self):
        """SIGKILL a busy worker, waiting up to a minute (a poll slot) for one."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                found = busy_workers(self.procs["workers"].pid, self.redis_url)
            except RedisError:  # Redis restarting after another fault
                found = []
            if found:
                _kill(found[:1])
                return True
            time.sleep(0.1)
        return False

    def _kill_rq_scheduler(self):
        found = _rq_scheduler(self.procs["workers"].pid)
        if found is None:
            return False
        _kill([found])

    def _flushall(self):
        from jobs.queues import get_redis

        self.redis_found += _scan_redis(self.redis_url)  # what the flush is about to erase
        get_redis(self.redis_url).flushall()

    def _redis_restart(self):
        self.redis_found += _scan_redis(self.redis_url)
        stop_process(self.redis_proc, "redis-server", grace=5)
        self.restarts += 1
        self.redis_proc = start_redis(self.tmp / f"redis-{self.restarts}", self.redis_port)

    def _db_lock(self, seconds: float = 5):
        url = make_url(self.db_url)
        if url.get_backend_name() == "sqlite":
            conn = sqlite3.connect(url.database, isolation_level=None, timeout=30)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE olts SET description = description")
            time.sleep(seconds)
            conn.execute("ROLLBACK")
            conn.close()
            return
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE executions, onus IN EXCLUSIVE MODE"))
            time.sleep(seconds)
            conn.rollback()
        engine.dispose()

    def _olt_silent(self):
        self.relay.silent.set()
        threading.Timer(60, self.relay.silent.clear).start()

    def _double_submit(self):
        from jobs.dispatch import run_jobs_now
        from webapp.extensions import db
        from webapp.models import Execution, SnmpJob
        from webapp.models.executions import ACTIVE

        with self.app.app_context():
            job_ids = db.session.scalars(select(SnmpJob.id).order_by(SnmpJob.id)).all()
            job_id = random.choice(job_ids[:-3])  # a lab OLT's poll job
            active = db.session.scalar(
                select(db.func.count(Execution.id)).where(
                    Execution.job_id == job_id, Execution.status.in_(ACTIVE)
                )
            )
            db.session.commit()
        barrier, created = threading.Barrier(2), []

        def submit():
            with self.app.app_context():
                barrier.wait(5)
                try:
                    created.append(run_jobs_now([job_id], trigger="cli", label="chaos").created)
                except Exception as exc:  # noqa: BLE001 - counted, not fatal
                    print(f"double submit failed: {type(exc).__name__}: {exc}")
                    created.append(0)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.submits.append((sum(created), bool(active)))

    def stop(self) -> None:
        for name in ("scheduler", "workers"):
            if name in self.procs:
                stop_process(self.procs.pop(name), name, grace=30)
        stop_process(self.redis_proc, "redis-server", grace=10)


def _drain(app, seconds: int) -> None:
    """Let workers finish and the reaper clean up until nothing is PENDING or RUNNING."""
    from datetime import timedelta

    from jobs.reaper import reap
    from webapp.extensions import db
    from webapp.models import Execution
    from webapp.models.base import utcnow
    from webapp.models.executions import ACTIVE

    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            try:
                reap(utcnow() + timedelta(seconds=1))
            except Exception as exc:  # noqa: BLE001 - Redis may be restarting: try again
                print(f"reaper: {exc}")
            active = db.session.scalar(
                select(db.func.count(Execution.id)).where(Execution.status.in_(ACTIVE))
            )
            db.session.commit()
            if not active:
                return
            time.sleep(2)


# ---------------------------------------------------------------- figures


NEVER_RAN = ("still pending after", "queue unavailable")


def _figures(app, chaos: Chaos, started_at, ended_at) -> dict:
    from webapp.extensions import db
    from webapp.models import Execution, SnmpJob

    e = Execution
    with app.app_context():  # plain rows: they outlive the session
        rows = db.session.execute(
            select(
                e.id, e.job_id, e.olt_id, e.status, e.error, e.trigger, e.retry_of_id,
                e.created_at, e.started_at, e.finished_at, e.scheduled_for,
            )
        ).all()  # fmt: skip
        jobs = db.session.execute(
            select(SnmpJob.id, SnmpJob.name, SnmpJob.enabled, SnmpJob.interval)
        ).all()
        db.session.commit()
    by_status = Counter(r.status for r in rows)
    stuck = by_status["PENDING"] + by_status["RUNNING"]
    # lost: never ran, and no later attempt of the same first run succeeded
    succeeded = {r.retry_of_id or r.id for r in rows if r.status == "SUCCESS"}
    never = [
        r for r in rows
        if r.status == "FAILED" and (r.error or "").startswith(NEVER_RAN)
        and (r.retry_of_id or r.id) not in succeeded
    ]  # fmt: skip
    last_dispatch = {}
    for r in rows:
        if r.trigger == "schedule" and r.job_id:
            last_dispatch[r.job_id] = max(last_dispatch.get(r.job_id, r.created_at), r.created_at)
    from datetime import timedelta

    silent_jobs = [
        j for j in jobs
        if j.enabled and j.interval
        and last_dispatch.get(j.id, started_at) < ended_at - timedelta(minutes=3)
    ]  # fmt: skip
    empty_submits = sum(1 for created, active in chaos.submits if created == 0 and not active)
    lost = len(never) + len(silent_jobs) + empty_submits
    # duplicates
    slots = Counter(
        (r.job_id, r.olt_id, r.scheduled_for)
        for r in rows
        if r.trigger == "schedule" and r.scheduled_for is not None
    )
    duplicates = sum(n - 1 for n in slots.values() if n > 1)
    duplicates += sum(created - 1 for created, _ in chaos.submits if created > 1)
    # overlaps: two runs of one OLT at once (RUNNING spans from started_at to finished_at)
    overlaps = 0
    for olt in {r.olt_id for r in rows}:
        runs = sorted(
            (r for r in rows if r.olt_id == olt and r.started_at and r.finished_at),
            key=lambda r: r.started_at,
        )
        end = None
        for r in runs:
            if end is not None and r.started_at < end:
                overlaps += 1
            end = r.finished_at if end is None else max(end, r.finished_at)
    return {
        "dispatched": len(rows),
        "by_status": dict(by_status),
        "stuck": stuck,
        "lost": lost,
        "never_ran": len(never),
        "silent_jobs": [j.name for j in silent_jobs],
        "empty_submits": empty_submits,
        "duplicates": duplicates,
        "overlaps": overlaps,
        "errors": Counter((r.error or "")[:70] for r in rows if r.status != "SUCCESS"),
    }


def _found_in(blob: bytes) -> int:
    """Occurrences of the secret in a blob, as text or hex (every community and key has it)."""
    return sum(blob.count(form) for form in forms(SECRET))


def _scan_redis(redis_url: str) -> Counter:
    """Where the secret is in Redis now (run before each FLUSHALL or restart, and at the end)."""
    from jobs.queues import get_redis

    found: Counter = Counter()
    for where, blob in redis_dump(get_redis(redis_url)).items():
        found["redis " + where.split(" ", 1)[0]] += _found_in(blob)
    return found


def _secrets_found(app, chaos: Chaos, redis_url: str) -> Counter:
    """Where a secret (communities, v3 keys) appears: logs, executions, Redis, OLTs at rest."""
    from webapp.extensions import db

    found: Counter = Counter(chaos.redis_found)
    for log in chaos.tmp.glob("*.log"):
        found[f"log {log.name}"] += _found_in(log.read_bytes())
    with app.app_context():
        for table in ("executions", "olts", "job_hosts", "snmp_jobs"):
            for row in db.session.execute(text(f"SELECT * FROM {table}")):
                found[f"table {table}"] += sum(_found_in(str(v).encode()) for v in row)
        db.session.commit()
    found += _scan_redis(redis_url)
    return Counter({k: v for k, v in found.items() if v})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--olts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--fault-every", type=float, default=15)
    parser.add_argument("--onus", type=int, default=128, help="ONUs per lab OLT")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    # SIGTERM (timeout, kill) must still run the clean-up below and stop every child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from snmp.lab.agent import LabAgent
    from snmp.lab.hostile import HostileAgent
    from webapp import create_app
    from webapp.models.base import utcnow

    with tempfile.TemporaryDirectory(prefix="oltwatch-chaos-") as tmp_name:
        tmp = Path(tmp_name)
        rport = free_tcp_port()
        redis_proc = start_redis(tmp / "redis-0", rport)
        redis_url = f"redis://127.0.0.1:{rport}/0"
        db_url, drop_db = _database(tmp)
        agent = LabAgent(tmp / "lab")
        for n in range(args.olts):
            agent.add_olt(f"{SECRET}-{n:03d}", "huawei", args.onus, seed=n)
        agent.add_olt(f"{SECRET}-flaky", "huawei", args.onus, seed=99)
        agent.start(timeout=120)
        relay, hostile = Relay(agent.port), HostileAgent()
        relay.start()
        hostile.__enter__()
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "chaos-app-key",
             "REDIS_URL": redis_url, "PENDING_GRACE": 5}
        )  # fmt: skip
        chaos = Chaos(app, tmp, db_url, rport, redis_proc, relay)
        try:
            _setup(app, args.olts, agent.port, relay, hostile, silent.getsockname()[1])
            chaos.start(args.workers)
            started_at = utcnow()
            end = time.monotonic() + args.minutes * 60
            cycle: list[str] = []
            next_fault = time.monotonic() + args.fault_every
            while time.monotonic() < end:
                if time.monotonic() >= next_fault:
                    if not cycle:
                        cycle = random.sample(FAULTS, len(FAULTS))
                    name = cycle.pop()
                    print(f"{time.strftime('%H:%M:%S')} fault {name}", flush=True)
                    chaos.fault(name)
                    next_fault = time.monotonic() + args.fault_every
                time.sleep(0.5)
            ended_at = utcnow()
            stop_process(chaos.procs.pop("scheduler"), "scheduler", grace=15)
            relay.silent.clear()
            _drain(app, 240)
            figures = _figures(app, chaos, started_at, ended_at)
            secrets = _secrets_found(app, chaos, redis_url)
        finally:
            chaos.stop()
            relay.stop()
            hostile.__exit__(None, None, None)
            silent.close()
            agent.stop()
            with app.app_context():
                from webapp.extensions import db

                db.engine.dispose()
            drop_db()
    faults = sum(chaos.done.values())
    leaked = sum(secrets.values())
    backend = make_url(db_url).get_backend_name()
    print(
        f"{backend}: {args.olts} lab OLTs + flaky + hostile + v3, {args.workers} workers, "
        f"{args.minutes} min"
    )
    print(f"faults: {dict(chaos.done)}; not done (nothing to kill): {dict(chaos.skipped)}")
    print(f"executions: {figures['dispatched']} {figures['by_status']}")
    print(
        f"lost: never ran {figures['never_ran']}, jobs no longer scheduled "
        f"{figures['silent_jobs']}, double submits that created nothing "
        f"{figures['empty_submits']}"
    )
    print(f"double submits: {chaos.submits}")
    print("endings other than SUCCESS:")
    for error, n in figures["errors"].most_common(12):
        print(f"  {n:4d}  {error}")
    print(f"secrets found: {dict(secrets) or 'none'}")
    print(
        f"faults={faults} lost={figures['lost']} stuck={figures['stuck']} "
        f"duplicates={figures['duplicates']} overlaps={figures['overlaps']} "
        f"secrets_in_logs={leaked}"
    )
    clean = not (
        figures["lost"] or figures["stuck"] or figures["duplicates"] or figures["overlaps"]
    )
    return 0 if clean and not leaked else 1


if __name__ == "__main__":
    sys.exit(main())
