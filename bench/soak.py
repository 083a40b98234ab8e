"""Soak: the scheduler and 20 workers against N simulated OLTs for M minutes, with workers
killed on the way; then count what ran, what is stuck, overlaps on one OLT, and the lag.

Usage: python bench/soak.py [--minutes 10] [--olts 50] [--workers 20] [--kill-every 60]
                            [--onus 256] [--agent netsnmp|snmpsim] [--agents 1]

Starts its own redis-server, the simulated OLTs' agent, a fresh SQLite database
(PostgreSQL when SOAK_DATABASE_URL is set), `manage_cli.py scheduler` and
`manage_cli.py worker`. The agent is by default net-snmp's snmpd with bench/agent/oltsim.c
(bench/README.md; ~500k values per CPU-second): --agents processes, each serving one
data set on its own port to the OLTs given to it in turn (OLTs of one agent answer
alike, but each is its own OLT in the database, with its own lock). --agent snmpsim
serves every OLT its own data from one snmpsim process (~5k values/s: at 50 OLTs it
is the bottleneck, and the soak measures it rather than us). The agent's CPU seconds
are printed with the figures.

Jobs: every OLT's poll job (its ONUs and every attribute) every minute. Every
--kill-every seconds one busy worker (one running a job) is SIGKILLed (the pool starts
a new worker). At the end the scheduler stops, the reaper drains what is
left, and the figures are printed; the last line is
`dispatched=<n> stuck=<n> overlaps=<n> lag_p95_s=<x>`. Exits 1 if anything is stuck or
two executions of one OLT overlapped.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/

from sqlalchemy import select  # noqa: E402

from webapp.devstack import free_tcp_port, start_redis, stop_process  # noqa: E402


def _start_agents(kind: str, tmp: Path, keep: Path, olts: int, onus: int, agents: int):
    """Start the OLTs' agent(s); (list of agents, pids, each OLT's (port, community)).

    snmpd's configuration and log go to keep/snmpd-<k>.
    """
    from netsnmp_agent import NetSnmpAgent, build_module

    from snmp.lab.agent import LabAgent
    from snmp.lab.generate import generate_rows, write_snmprec

    if kind == "snmpsim":
        lab = LabAgent(tmp / "lab")
        for n in range(olts):
            lab.add_olt(f"soak-{n:03d}", "huawei", onus, seed=n)
        lab.start(timeout=120)
        return [lab], [lab.pid], [(lab.port, f"soak-{n:03d}") for n in range(olts)]
    build_module()
    started = []
    try:
        for k in range(max(1, min(agents, olts))):
            rec = write_snmprec(tmp / f"agent-{k}.snmprec", generate_rows("huawei", onus, seed=k))
            started.append(NetSnmpAgent(rec, community=f"soak-a{k}", workdir=keep / f"snmpd-{k}"))
            started[-1].start()
    except BaseException:
        for agent in started:
            agent.stop()
        raise
    ends = [(a.port, a.community) for a in started]
    return started, [a.pid for a in started], [ends[n % len(ends)] for n in range(olts)]


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user+system) these processes have used so far."""
    from netsnmp_agent import proc_cpu_seconds

    return sum(proc_cpu_seconds(pid) for pid in pids)


def _setup(app, endpoints: list[tuple[int, str]]) -> None:
    from datetime import timedelta

    from flask_migrate import upgrade

    from webapp.extensions import db
    from webapp.models import SnmpJob
    from webapp.models.base import utcnow
    from webapp.seed import seed_demo_olt

    far = utcnow() + timedelta(days=1)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        for n, (port, community) in enumerate(endpoints):
            seed_demo_olt(f"soak-{n:03d}", "huawei", "127.0.0.1", port, community=community)
        for job in db.session.scalars(select(SnmpJob)):
            job.interval = "1m"  # each OLT's poll: ONUs and every attribute, once a minute
            job.next_run_at = far  # until the system is up: _first_slots_once_ready
        db.session.commit()


def _first_slots_once_ready(app, redis_url: str, workers: int) -> float:
    """Wait for the workers and the scheduler; then make every job due 2 s later.

    The lag measures a running system: slots that fell due while it was starting would
    count its start-up time (bench/scale.py measures that apart).
    """
    from datetime import timedelta

    from rq import Worker
    from sqlalchemy import update

    from jobs.queues import get_redis
    from jobs.scheduler import LAST_TICK_KEY
    from webapp.extensions import db
    from webapp.models import SnmpJob
    from webapp.models.base import utcnow

    redis, started = get_redis(redis_url), time.monotonic()
    while time.monotonic() - started < 120:
        if len(Worker.all(connection=redis)) >= workers and redis.exists(LAST_TICK_KEY):
            break
        time.sleep(0.2)
    ready = time.monotonic() - started
    with app.app_context():
        db.session.execute(update(SnmpJob).values(next_run_at=utcnow() + timedelta(seconds=2)))
        db.session.commit()
    return ready


def busy_workers(pool_pid: int, redis_url: str) -> list[int]:
    """The pids of the pool's workers running a job (RQ's state "busy"), shuffled."""
    from rq import Worker

    from jobs.queues import get_redis

    children = subprocess.run(
        ["pgrep", "-P", str(pool_pid)], capture_output=True, text=True
    ).stdout.split()
    busy = [
        w.pid
        for w in Worker.all(connection=get_redis(redis_url))
        if w.state == "busy" and str(w.pid) in children
    ]
    random.shuffle(busy)
    return busy


def _kill_one_busy_worker(pool_pid: int, redis_url: str) -> bool:
    """SIGKILL a worker of the pool that is running a job, as a crash would end it (a child
    of it, the queue's RQ scheduler, lives on)."""
    for pid in busy_workers(pool_pid, redis_url):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        return True
    return False


def _drain(app, seconds: int) -> None:
    """Let workers finish and the reaper clean up until nothing is PENDING or RUNNING."""
    from jobs.reaper import reap
    from webapp.extensions import db
    from webapp.models import Execution
    from webapp.models.executions import ACTIVE

    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            reap()
            active = db.session.scalar(
                select(db.func.count()).select_from(Execution).where(Execution.status.in_(ACTIVE))
            )
            db.session.commit()
            if not active:
                return
            time.sleep(2)


def _figures(app) -> dict:
    from webapp.extensions import db
    from webapp.models import Execution

    with app.app_context():
        rows = db.session.execute(
            select(
                Execution.olt_id,
                Execution.status,
                Execution.started_at,
                Execution.finished_at,
                Execution.scheduled_for,
            )
        ).all()
        db.session.commit()
    by_status = {
        s: sum(1 for r in rows if r.status == s)
        for s in ("SUCCESS", "FAILED", "INTERRUPTED", "PENDING", "RUNNING")
    }
    overlaps = 0
    for olt in {r.olt_id for r in rows}:
        runs = sorted(
            (r for r in rows if r.olt_id == olt and r.started_at and r.finished_at),
            key=lambda r: r.started_at,
        )
        overlaps += sum(
            1 for a, b in zip(runs, runs[1:], strict=False) if b.started_at < a.finished_at
        )
    lags = sorted(
        (r.started_at - r.scheduled_for).total_seconds()
        for r in rows
        if r.started_at and r.scheduled_for
    )
    p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))] if lags else 0.0
    return {
        "dispatched": len(rows),
        **by_status,
        "overlaps": overlaps,
        "lag_p50": statistics.median(lags) if lags else 0.0,
        "lag_p95": p95,
    }


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its children reaped so far and its live descendants."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in raw[raw.rindex(")") + 2 :].split()[11:15])
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    own = (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")
    return own + sum(_tree_cpu(int(c)) for c in children.stdout.split())


def _memory_mb(pid: int) -> tuple[float, float]:
    """(PSS summed over a process and its descendants, the largest one's own memory (USS)),
    in MB (/proc/PID/smaps_rollup: shared pages count once in the sum)."""
    pss, largest = 0, 0
    pids = [pid]
    while pids:
        current = pids.pop()
        children = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True)
        pids += [int(c) for c in children.stdout.split()]
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        lines = (line.split(":", 1) for line in rollup.splitlines()[1:])
        fields = {key: int(value.split()[0]) for key, value in lines}
        pss += fields.get("Pss", 0)
        largest = max(largest, fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0))
    return pss / 1024, largest / 1024


def _host_cpu() -> float:
    """CPU seconds the whole machine has spent busy (every core; /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _run(args, app, env: dict, keep: Path, redis_url: str, agent_pids: list[int]) -> dict:
    """Start the pool and the scheduler, soak, stop the scheduler, drain; CPU figures."""
    from jobs.workers import worker_pool_command

    procs, cpu, memory = {}, {}, (float("nan"), float("nan"))
    try:
        procs["workers"] = subprocess.Popen(
            worker_pool_command(args.workers),
            cwd=ROOT,
            env=env,
            stdout=(keep / "workers.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs["scheduler"] = subprocess.Popen(
            [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "2"],
            cwd=ROOT,
            env=env,
            stdout=(keep / "scheduler.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready = _first_slots_once_ready(app, redis_url, args.workers)
        print(f"workers registered and the scheduler ticking after {ready:.1f} s", flush=True)
        pids = {"workers": procs["workers"].pid, "scheduler": procs["scheduler"].pid}
        before = {name: _tree_cpu(pid) for name, pid in pids.items()}
        before |= {"agent": _cpu(agent_pids), "host": _host_cpu(), "wall": time.monotonic()}
        end, kills, next_kill = time.monotonic() + args.minutes * 60, 0, time.monotonic()
        while time.monotonic() < end:
            due = time.monotonic() >= next_kill + args.kill_every
            if due and _kill_one_busy_worker(procs["workers"].pid, redis_url):
                kills += 1
                next_kill = time.monotonic()
            time.sleep(0.2 if due else 1)  # a kill waits for a worker to be busy
        cpu["scheduler"] = _tree_cpu(pids["scheduler"]) - before["scheduler"]
        stop_process(procs.pop("scheduler"), "scheduler", grace=15)
        _drain(app, 180)
        cpu["workers"] = _tree_cpu(pids["workers"]) - before["workers"]
        memory = _memory_mb(pids["workers"])
        cpu["agent"] = _cpu(agent_pids) - before["agent"]
        cpu["host"] = _host_cpu() - before["host"]
        cpu["wall"] = time.monotonic() - before["wall"]
    finally:
        for name, proc in procs.items():
            stop_process(proc, name, grace=30)
    return {"kills": kills, "cpu": cpu, "memory": memory}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--olts", type=int, default=50)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--kill-every", type=float, default=60)
    parser.add_argument("--onus", type=int, default=256, help="ONUs per OLT")
    parser.add_argument("--agent", choices=("netsnmp", "snmpsim"), default="netsnmp")
    parser.add_argument("--agents", type=int, default=1, help="snmpd processes (netsnmp)")
    parser.add_argument("--keep", help="directory for the processes' logs and the SQLite file")
    args = parser.parse_args()
    # SIGTERM (timeout, kill) must still run the clean-up below and stop every child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from netsnmp_agent import AgentUnavailable

    from webapp import create_app

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="oltwatch-soak-") as tmp_name:
        tmp = Path(tmp_name)
        rport = free_tcp_port()
        redis = start_redis(tmp / "redis", rport)
        redis_url = f"redis://127.0.0.1:{rport}/0"
        keep = Path(args.keep) if args.keep else tmp
        keep.mkdir(parents=True, exist_ok=True)
        db_url = os.environ.get("SOAK_DATABASE_URL") or f"sqlite:///{keep}/soak.db"
        env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=redis_url, SECRET_KEY="soak")
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "soak", "REDIS_URL": redis_url}
        )
        agents = []
        try:
            agents, pids, endpoints = _start_agents(
                args.agent, tmp, keep, args.olts, args.onus, args.agents
            )
            _setup(app, endpoints)
            run = _run(args, app, env, keep, redis_url, pids)
        except AgentUnavailable as exc:
            print(f"{exc}\n(--agent snmpsim needs none of it)", file=sys.stderr)
            return 2
        finally:
            for agent in agents:
                agent.stop()
            stop_process(redis, "redis-server", grace=10)
        f = _figures(app)
    _print(args, f, run, load_before, os.getloadavg(), len(agents))
    return 1 if f["PENDING"] + f["RUNNING"] or f["overlaps"] else 0


def _print(args, f: dict, run: dict, load_before, load_after, agents: int) -> None:
    """The figures; the last line is the one scripts parse."""
    stuck, cpu, minutes = f["PENDING"] + f["RUNNING"], run["cpu"], run["cpu"]["wall"] / 60
    print(f"{args.olts} OLTs, {args.workers} workers, {args.minutes} min, ", end="")
    print(f"{run['kills']} workers killed")
    print(
        f"dispatched {f['dispatched']}: succeeded {f['SUCCESS']}, failed {f['FAILED']}, "
        f"interrupted {f['INTERRUPTED']}, stuck {stuck}"
    )
    print(f"overlapping runs on one OLT: {f['overlaps']}")
    print(f"lag from next_run_at to start: p50 {f['lag_p50']:.2f} s, p95 {f['lag_p95']:.2f} s")
    print(
        f"agent: {args.agent} ({agents} process{'es' if agents > 1 else ''}), "
        f"CPU {cpu['agent']:.2f} s ({cpu['agent'] / minutes:.2f} s per minute)"
    )
    print(
        f"CPU over {cpu['wall']:.0f} s (soak and drain): workers {cpu['workers']:.1f} s, "
        f"scheduler {cpu['scheduler']:.1f} s (soak only), agent {cpu['agent']:.1f} s, "
        f"machine {cpu['host']:.1f} s ({os.cpu_count()} cores)"
    )
    pss, largest = run["memory"]
    print(
        f"worker pool memory after the soak: PSS {pss:.0f} MB summed "
        f"(the largest process's own memory: {largest:.0f} MB)"
    )
    before, after = (" ".join(f"{x:.2f}" for x in load) for load in (load_before, load_after))
    print(f"load average before {before}, after {after}")
    print(
        f"dispatched={f['dispatched']} stuck={stuck} overlaps={f['overlaps']} "
        f"lag_p95_s={f['lag_p95']:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
