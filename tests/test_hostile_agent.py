"""Issue 9, point 2: a looping agent (endless rows of 2.5 KB strings) as an OLT, polled by a
real RQ worker process: the executions end FAILED with a clear reason, soon, in little memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.olts import ensure_poll_job
from snmp.lab.hostile import HostileAgent
from tests.conftest import ROOT, worker_env
from tests.factories import make_job, make_olt
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution

# Runs a command under a 3 GB address-space limit (a regression must not take the machine's
# memory, as the worker did) and prints the peak RSS of its process tree: the largest
# of the waited-for descendants, here the worker, which runs its jobs itself.
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n"
    "rc = subprocess.run(sys.argv[1:], preexec_fn=limit).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_RSS_KB={peak}', file=sys.stderr)\n"
    "sys.exit(rc)\n"
)
RSS_LIMIT_MB = 300


def rq_worker_burst(redis_url: str) -> list[str]:
    """One OltWorker serving discovery_main until the queue is empty."""
    rq = str(Path(sys.executable).parent / "rq")
    return [rq, "worker", "discovery_main", "-u", redis_url, "-w", "jobs.workers.OltWorker"] + [
        "-P",
        str(ROOT),
        "--burst",
    ]


def run_worker(database_url: str, redis_url: str, env: dict | None = None):
    """Run a real worker over what is queued; (output, peak RSS in MB, wall seconds)."""
    db.session.commit()  # SQLite: no lock held by the test while the worker writes
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", PEAK_RSS, *rq_worker_burst(redis_url)],
        cwd=ROOT,
        env=worker_env(database_url, redis_url) | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=90)  # the job timeout is 60 s
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and anything it started
        output, _ = proc.communicate()
        raise AssertionError(f"the worker hung: {output[-3000:]}") from None
    wall = time.monotonic() - started
    assert proc.returncode == 0, output[-3000:]
    peak_kb = int(output.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    db.session.expire_all()
    return output, peak_kb / 1024, wall


def _hostile_olts(port: int):
    """A Huawei OLT with its poll job and one with a discovery job, both on the agent."""
    polled = make_olt(None, "hostile-poll", snmp_port=port, timeout=1.0, retries=0)
    walked = make_olt(None, "hostile-walk", snmp_port=port, timeout=1.0, retries=0)
    poll = ensure_poll_job(polled)
    db.session.commit()
    return poll, make_job([walked], name="discovery hostile")


def _expected(name: str, port: int) -> str:
    # Huawei: the poll and the discovery read IF-MIB's port names first (ifName, ifDescr)
    return (
        f"OLT {name} (127.0.0.1:{port}) sent more than 32 MB while walking "
        "1.3.6.1.2.1.31.1.1.1.1 and 1 more column: a looping or broken agent? "
        "(limit: SNMP_MAX_WALK_BYTES)"
    )


@pytest.mark.e2e
def test_looping_agent_fails_poll_and_discovery_in_a_real_worker(app, database_url, redis_url):
    with HostileAgent() as agent:
        poll, discovery = _hostile_olts(agent.port)
        report = run_jobs_now([poll.id, discovery.id], trigger="cli", label="hostile")
        assert report.created == 2
        output, peak_mb, wall = run_worker(database_url, redis_url)
    runs = {ex.olt_name: ex for ex in db.session.scalars(select(Execution))}
    for name in ("hostile-poll", "hostile-walk"):
        ex = runs[name]
        assert ex.status == "FAILED", (ex.status, ex.error, output[-3000:])
        assert ex.error == _expected(name, agent.port)
        assert ex.duration_ms < 15_000  # the job timeout is 60 s
    print(
        f"hostile poll+discovery: peak RSS {peak_mb:.0f} MB, worker wall {wall:.1f} s, "
        f"durations {[runs[n].duration_ms for n in sorted(runs)]} ms, agent sent "
        f"{agent.sent / 2**20:.0f} MB"
    )
    assert peak_mb < RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    assert "MemoryError" not in output and "Traceback" not in output, output[-3000:]


def test_the_budget_comes_from_the_configuration(app, redis_url):
    """SNMP_MAX_WALK_BYTES reaches the walk through target_of (in-process worker)."""
    app.config["SNMP_MAX_WALK_BYTES"] = 300_000
    with HostileAgent() as agent:
        poll, discovery = _hostile_olts(agent.port)
        run_jobs_now([poll.id, discovery.id], trigger="cli", label="hostile")
        started = time.monotonic()
        work(app)
        elapsed = time.monotonic() - started
    runs = db.session.scalars(select(Execution)).all()
    assert len(runs) == 2 and elapsed < 10
    for ex in runs:
        assert ex.status == "FAILED" and "sent more than 293 KB while walking" in ex.error, ex.error


def test_a_walk_over_its_budget_is_not_retried_column_by_column(app, redis_url):
    """A chunk of columns that failed on its budget fails the run; walking each of its columns
    alone would only ask the looping agent for the budget again, once per column."""
    budget = 300_000
    app.config["SNMP_MAX_WALK_BYTES"] = budget
    with HostileAgent() as agent:
        olt = make_olt(
            None, "hostile-fh", "FiberHome", snmp_port=agent.port, timeout=1.0, retries=0
        )
        job = ensure_poll_job(olt)
        db.session.commit()
        run_jobs_now([job.id], trigger="cli", label="hostile")
        work(app)
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.status == "FAILED" and "sent more than 293 KB while walking" in ex.error, ex.error
    assert agent.sent < 2 * budget, agent.sent  # one walk's worth, not one per column
