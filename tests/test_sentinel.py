"""REDIS_URL naming a Redis Sentinel service, through a real failover on loopback.

A master and a replica (redis-server, with passwords), three sentinels (Debian's
redis-sentinel when installed, else the same redis-server binary with --sentinel), the real
scheduler process and real workers, all given a redis+sentinel:// URL. The master is
killed; the sentinels' quorum promotes the replica; everything carries on against it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select

from jobs.dispatch import enqueue_later, run_jobs_now
from jobs.queues import get_redis, parse_sentinel_url, redis_describe
from jobs.scheduler import LAST_TICK_KEY, dispatch_due_jobs
from jobs.workers import worker_pool_command
from tests import conftest
from tests.conftest import ROOT, FreshGlobalsClient, login, worker_env
from tests.factories import make_job, make_olt, make_user
from webapp import create_app
from webapp.config import ConfigError, build_config
from webapp.devstack import free_tcp_port, redis_binary, stop_process, wait_redis
from webapp.extensions import db, read_only
from webapp.models import Execution, JobHost, SnmpJob
from webapp.models.base import utcnow

MASTER_PASSWORD = "m4ster-pw-7Qz"
SENTINEL_PASSWORD = "s3ntinel-pw-9Xk"
SERVICE = "mymaster"
WORKERS = 2


def _wait(condition, limit: float, step: float = 0.3):
    """Poll condition() until it returns something truthy or the limit passes (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _server(workdir: Path, port: int, replica_of: int | None = None) -> subprocess.Popen:
    """A redis-server with a password on 127.0.0.1:port; a replica of replica_of if given."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no",
           "--requirepass", MASTER_PASSWORD, "--masterauth", MASTER_PASSWORD]  # fmt: skip
    if replica_of:
        cmd += ["--replicaof", "127.0.0.1", str(replica_of)]
    proc = _spawn(cmd, workdir / "redis.log")
    wait_redis(f"redis://:{MASTER_PASSWORD}@127.0.0.1:{port}/0", proc)
    return proc


def _sentinel(workdir: Path, port: int, master_port: int) -> subprocess.Popen:
    """A sentinel watching the master with a quorum of 2 and second-scale timeouts."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "sentinel.conf"  # a sentinel rewrites its own file: one each
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {workdir}\n"
        f"requirepass {SENTINEL_PASSWORD}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
        f"sentinel auth-pass {SERVICE} {MASTER_PASSWORD}\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
        f"sentinel parallel-syncs {SERVICE} 1\n"
    )
    packaged = shutil.which("redis-sentinel")
    cmd = [packaged, str(conf)] if packaged else [redis_binary(), str(conf), "--sentinel"]
    proc = _spawn(cmd, workdir / "sentinel.log")
    wait_redis(f"redis://:{SENTINEL_PASSWORD}@127.0.0.1:{port}/0", proc)
    return proc


def _sentinel_view(port: int) -> dict:
    """What one sentinel knows of the service (empty when it does not answer)."""
    client = Redis(port=port, password=SENTINEL_PASSWORD, socket_timeout=1, decode_responses=True)
    try:
        master = client.sentinel_master(SERVICE)
        return {
            "master_port": int(master["port"]),
            "replicas": int(master["num-slaves"]),
            "others": int(master["num-other-sentinels"]),
        }
    except RedisError:
        return {}
    finally:
        client.close()


@pytest.fixture
def sentinel_stack(tmp_path):
    """Master, replica and three sentinels; yields (url, the processes by name)."""
    ports = {name: free_tcp_port() for name in ("master", "replica", "s1", "s2", "s3")}
    procs = {"master": _server(tmp_path / "master", ports["master"])}
    procs["replica"] = _server(tmp_path / "replica", ports["replica"], ports["master"])
    for name in ("s1", "s2", "s3"):
        procs[name] = _sentinel(tmp_path / name, ports[name], ports["master"])
    try:
        # a failover needs each sentinel to know the replica and the two other sentinels
        views = [ports[s] for s in ("s1", "s2", "s3")]
        ready = _wait(
            lambda: (
                all(_sentinel_view(p).get("others") == 2 for p in views)
                and all(_sentinel_view(p).get("replicas") == 1 for p in views)
            ),
            30,
        )
        assert ready, [_sentinel_view(p) for p in views]
        hosts = ",".join(f"127.0.0.1:{ports[s]}" for s in ("s1", "s2", "s3"))
        url = f"redis+sentinel://:{MASTER_PASSWORD}@{hosts}/{SERVICE}/0"
        yield url + f"?sentinel_password={SENTINEL_PASSWORD}", procs, ports
    finally:
        for name, proc in procs.items():
            stop_process(proc, name, grace=5)


def test_sentinel_url_is_parsed_and_never_shown_with_its_passwords():
    url = "redis+sentinel://app:p%40ss@10.0.0.1:26380,10.0.0.2/cache/3?sentinel_password=sp"
    parsed = parse_sentinel_url(url)
    assert parsed.sentinels == (("10.0.0.1", 26380), ("10.0.0.2", 26379))
    assert (parsed.service, parsed.db, parsed.username, parsed.password) == (
        "cache", 3, "app", "p@ss",
    )  # fmt: skip
    assert parsed.sentinel_password == "sp"
    for shown in (redis_describe(url), repr(parsed)):
        assert "p%40ss" not in shown and "p@ss" not in shown and "sp" not in shown.split("?")[-1]
    for bad in ("redis+sentinel://h:1", "redis+sentinel://h:1/s/x", "redis+sentinel://h:1/s?pw=1"):
        with pytest.raises(ValueError):
            parse_sentinel_url(bad)


def test_a_bad_sentinel_url_stops_the_start_without_showing_its_password():
    with pytest.raises(ConfigError) as failed:
        build_config({"SECRET_KEY": "t", "REDIS_URL": "redis+sentinel://:hunter2@h:1"})
    assert "service" in str(failed.value) and "hunter2" not in str(failed.value)
    good = "redis+sentinel://:hunter2@h:1/svc/2"
    assert build_config({"SECRET_KEY": "t", "REDIS_URL": good})["RQ_DASHBOARD_REDIS_URL"] == good


def _start_workers(env: dict, log) -> subprocess.Popen:
    """The worker pool the way production starts it (REDIS_URL, the Sentinel one, from env)."""
    return subprocess.Popen(
        worker_pool_command(WORKERS), cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _statuses(ids) -> dict[int, str]:
    with read_only():  # polling must not hold SQLite's write lock against the workers
        rows = dict(
            db.session.execute(
                select(Execution.id, Execution.status).where(Execution.id.in_(ids))
            ).all()
        )
        db.session.commit()
    return rows


def _run_and_wait(job_ids: list[int], limit: float = 60) -> dict[int, str]:
    report = run_jobs_now(job_ids, trigger="manual", label="sentinel-test")
    assert report.enqueued == report.created > 0, report.queue_error
    ids = report.execution_ids
    _wait(lambda: set(_statuses(ids).values()) == {"SUCCESS"}, limit)
    return _statuses(ids)


def _pending(host_id: int) -> Execution:
    """A PENDING execution of a job's OLT, committed (to be enqueued by the caller)."""
    host = db.session.get(JobHost, host_id)
    ex = Execution(
        job_id=host.job_id, job_host_id=host.id, olt_id=host.olt_id, job_name=host.job.name,
        olt_name=host.olt.name, trigger="cli",
    )  # fmt: skip
    db.session.add(ex)
    db.session.commit()
    return ex


def _dashboard_workers(database_url: str, url: str) -> list[str]:
    """The workers rq-dashboard lists, from an app whose REDIS_URL is the Sentinel one."""
    dash = create_app(conftest.test_config(database_url, url))
    dash.test_client_class = FreshGlobalsClient
    client = dash.test_client()
    assert login(client, "noc").status_code == 302
    r = client.get("/admin/rq/0/data/workers.json")
    with dash.app_context():
        db.engine.dispose()  # its own pool: closed here, not by the garbage collector
    assert r.status_code == 200, r.text
    return sorted(w["name"] for w in r.get_json()["workers"])


def _tick_after(redis, moment) -> bool:
    raw = redis.get(LAST_TICK_KEY)
    return bool(raw) and raw.decode() > moment.isoformat()


def test_everything_carries_on_through_a_sentinel_failover(
    app, client, lab, database_url, tmp_path, sentinel_stack
):
    url, procs, ports = sentinel_stack
    app.config.update(REDIS_URL=url, PENDING_GRACE=1)
    env = worker_env(database_url, url) | {"PENDING_GRACE": "1"}
    log_path = tmp_path / "processes.log"
    logs = log_path.open("wb")
    scheduler = subprocess.Popen(
        [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "1"],
        cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    workers = _start_workers(env, logs)
    try:
        healthy = _wait(lambda: client.get("/health").status_code == 200, 60)
        assert healthy, client.get("/health").get_json()
        make_user("noc")
        assert len(_dashboard_workers(database_url, url)) == WORKERS
        redis = get_redis(url)
        olts = [make_olt(lab, "huawei-a"), make_olt(lab, "zte-a", brand_name="ZTE")]
        jobs = [
            make_job(olts[:1], interval=None).id,  # manual: only this test runs them
            make_job(olts[1:], name="z", brand_name="ZTE", interval=None).id,
        ]
        before = _run_and_wait(jobs)
        assert set(before.values()) == {"SUCCESS"}, before
        # a PENDING execution whose RQ job waits in Redis: it must survive the failover
        waiting = make_job(olts[:1], name="waiting", interval=None)
        delayed_host = make_job(olts[1:], name="later", brand_name="ZTE", interval=None).hosts[0].id
        later = _pending(waiting.hosts[0].id)
        later.rq_job_id = enqueue_later(later, 600)
        db.session.commit()
        later_id, later_rq = later.id, later.rq_job_id

        _wait(lambda: redis.execute_command("WAIT", 1, 1000), 5)  # replica has it all
        failed_at = utcnow()
        procs["master"].kill()
        promoted = _wait(
            lambda: _sentinel_view(ports["s1"]).get("master_port") == ports["replica"], 30
        )
        assert promoted, _sentinel_view(ports["s1"])

        # Redis's state and the executions' state are as they were
        assert Job.exists(later_rq, connection=redis)
        assert _statuses(before) == before
        assert _statuses([later_id]) == {later_id: "PENDING"}
        # the web, the scheduler and the workers reconnect to the new master
        assert _wait(lambda: _tick_after(redis, failed_at), 30), redis.get(LAST_TICK_KEY)
        after = _run_and_wait(jobs)
        assert set(after.values()) == {"SUCCESS"}, after
        # RQ's scheduler (in a worker) moves delayed jobs, as retries are, again
        delayed = _pending(delayed_host)
        delayed.rq_job_id = enqueue_later(delayed, 1)
        db.session.commit()
        delayed_id = delayed.id
        ran = _wait(lambda: _statuses([delayed_id]) == {delayed_id: "SUCCESS"}, 45)
        assert ran, _statuses([delayed_id])
        body = _wait(lambda: client.get("/health").get_json()["status"] == "ok", 30)
        assert body, client.get("/health").get_json()
        names = sorted(w.name for w in Worker.all(connection=redis))
        assert len(names) == WORKERS, names  # and no worker left registered by a broken loop
        assert _dashboard_workers(database_url, url) == names
    finally:
        for proc, name in ((scheduler, "scheduler"), (workers, "worker pool")):
            stop_process(proc, name, grace=15)
        logs.close()
        text = log_path.read_text()
        print("\n".join(text.splitlines()[-400:]))  # shown when the test fails
    assert MASTER_PASSWORD not in text and SENTINEL_PASSWORD not in text


def test_a_read_cut_short_does_not_leave_its_reply_for_the_next_command(sentinel_stack):
    """RQ's warm shutdown raises from a signal handler in the middle of a blocking read."""
    url, _procs, _ports = sentinel_stack
    redis = get_redis(url)

    class Stop(Exception):
        pass

    def stop(signum, frame):
        raise Stop

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(Stop):
            redis.blpop(["nothing-here"], timeout=1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    time.sleep(1.2)  # the BLPOP's empty reply has arrived by now
    with redis.pipeline() as pipe:
        assert pipe.set("after", 1).get("after").execute() == [True, b"1"]


def pool_schedulers(redis, queue: str) -> list[dict]:
    """RQ's schedulers registered in Redis (one hash each) that hold the queue's lock, or
    whose process is alive on this machine: the ones that run."""
    owner = redis.get(RQScheduler.get_locking_key(queue))
    found = []
    for key in redis.scan_iter("rq:scheduler:*", count=1000):
        if redis.type(key) != b"hash" or not redis.hexists(key, "pid"):
            continue  # rq-scheduler's keys share the prefix
        data = {k.decode(): v.decode() for k, v in redis.hgetall(key).items()}
        try:
            os.kill(int(data["pid"]), 0)
            data["alive"] = True
        except (ProcessLookupError, ValueError):
            data["alive"] = False
        data["holds_lock"] = owner is not None and owner.decode() == data["name"]
        if data["alive"] or data["holds_lock"]:
            found.append(data)
    return found


def one_scheduler(redis, queue: str) -> dict | None:
    """The pool's one running scheduler, alive and holding the lock, when there is exactly one."""
    found = pool_schedulers(redis, queue)
    return found[0] if len(found) == 1 and found[0]["alive"] and found[0]["holds_lock"] else None


def test_the_pools_scheduler_carries_on_through_a_sentinel_failover(
    app, lab, database_url, tmp_path, sentinel_stack
):
    """A schedule's slot falls after the failover: RQ's scheduler in the pool, back on the new
    master within seconds, queues it then. No tick process runs here (its reaper would move
    due jobs too), so only the pool's scheduler can.
    """
    url, procs, ports = sentinel_stack
    app.config.update(REDIS_URL=url)
    queue = app.config["QUEUE_NAME"]
    env = worker_env(database_url, url)
    log_path = tmp_path / "processes.log"
    logs = log_path.open("wb")
    workers = _start_workers(env, logs)
    try:
        redis = get_redis(url)
        before = _wait(lambda: one_scheduler(redis, queue), 60)
        assert before, pool_schedulers(redis, queue)
        olt = make_olt(lab, "zte-a", brand_name="ZTE")
        job = make_job([olt], name="every hour", brand_name="ZTE", interval="1h")
        slot = utcnow().replace(microsecond=0) + timedelta(seconds=6)
        job.next_run_at = slot
        db.session.commit()
        claimed = dispatch_due_jobs(horizon=60)  # what a tick does: the run waits for its slot
        assert claimed["created"] == 1, claimed
        (ex_id,) = db.session.scalars(select(Execution.id).where(Execution.job_id == job.id))
        assert ScheduledJobRegistry(queue, connection=redis).count == 1

        _wait(lambda: redis.execute_command("WAIT", 1, 1000), 5)  # replica has it all
        procs["master"].kill()
        promoted = _wait(
            lambda: _sentinel_view(ports["s1"]).get("master_port") == ports["replica"], 30
        )
        assert promoted, _sentinel_view(ports["s1"])
        promoted_at = utcnow()

        ran = _wait(lambda: _statuses([ex_id]) == {ex_id: "SUCCESS"}, 30)
        assert ran, (_statuses([ex_id]), pool_schedulers(redis, queue))
        with read_only():
            started = db.session.scalar(select(Execution.started_at).where(Execution.id == ex_id))
            db.session.commit()
        assert started >= slot  # at its slot, not before
        assert started - max(slot, promoted_at) < timedelta(seconds=20), (started, promoted_at)
        # and exactly one scheduler runs on the new master: the same one, its lock kept
        after = _wait(lambda: one_scheduler(redis, queue), 30)
        assert after, pool_schedulers(redis, queue)
        assert (after["name"], after["pid"]) == (before["name"], before["pid"])
        # a delayed job made after the failover is moved too
        later = _pending(job.hosts[0].id)
        later.rq_job_id = enqueue_later(later, 1)
        db.session.commit()
        later_id = later.id
        moved = _wait(lambda: _statuses([later_id]) == {later_id: "SUCCESS"}, 20)
        assert moved, _statuses([later_id])
        assert db.session.get(SnmpJob, job.id).next_run_at > slot
    finally:
        stop_process(workers, "worker pool", grace=15)
        logs.close()
        text = log_path.read_text()
        print("\n".join(text.splitlines()[-300:]))  # shown when the test fails
    assert MASTER_PASSWORD not in text and SENTINEL_PASSWORD not in text
