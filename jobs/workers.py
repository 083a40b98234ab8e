"""The RQ worker class and the worker pool: one parent imports the app, the workers fork from it."""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, Worker, worker_registration
from rq.worker_pool import WorkerPool

from jobs.queues import get_redis

ROOT = Path(__file__).resolve().parent.parent
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]%(run)s %(message)s"


def worker_pool_command(workers: int, burst: bool = False) -> list[str]:
    """Return the argv of `manage_cli.py worker` (Redis and the database from the environment)."""
    cmd = [sys.executable, str(ROOT / "manage_cli.py"), "worker", "--workers", str(workers)]
    if burst:
        cmd.append("--burst")
    return cmd


def host_name() -> str:
    """The host part of worker names: OLTWATCH_HOSTNAME, else the machine's name."""
    return os.environ.get("OLTWATCH_HOSTNAME") or socket.gethostname()


def configure_logging() -> None:
    """One handler on the root logger, so RQ adds none of its own (each line printed once)."""
    from jobs.logtag import RunTagFilter

    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        for handler in root.handlers:  # each line names the execution and OLT it is about
            handler.addFilter(RunTagFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)


class OltWorkerPool(WorkerPool):
    """RQ's pool, with workers that build their Redis client with get_redis (Sentinel too).

    RQ's pool re-creates the connection in each worker from the parent's connection class
    and pool arguments, which cannot express a Sentinel-managed master; the workers here call
    get_redis(REDIS_URL) instead, after the fork.
    """

    def __init__(self, queues: Iterable[str], redis_url: str, **kwargs) -> None:
        super().__init__(queues, connection=get_redis(redis_url), **kwargs)
        self.redis_url = redis_url

    def get_worker_process(self, name: str, burst: bool, _sleep: float = 0, logging_level="INFO"):
        from rq.worker_pool import ForkProcess

        return ForkProcess(
            target=_run_worker,
            args=(self.redis_url, self._queue_names, burst, logging_level),
            name=f"oltwatch worker (pool {self.name})",
        )


def _run_worker(redis_url: str, queue_names: list[str], burst: bool, logging_level: str) -> None:
    """A pool member: its own Redis client, then RQ's work loop (the scheduler in one of them)."""
    connection = get_redis(redis_url)
    queues = [Queue(name, connection=connection) for name in queue_names]
    worker = OltWorker(queues, connection=connection)
    worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)


def run_pool(app: Flask, workers: int, burst: bool = False) -> None:
    """Serve the app's queue with `workers` forked workers until SIGINT/SIGTERM.

    The parent imports everything a job needs and builds the app once; the workers fork
    from it, so they start in milliseconds and share those pages (copy-on-write). The
    parent holds no database connection when it forks, and gc.freeze() keeps the garbage
    collector from writing to (and so copying) the shared objects.
    """
    from jobs import runner
    from webapp.extensions import db

    configure_logging()
    runner.use_app(app)
    with app.app_context():
        db.engine.dispose()
    gc.collect()
    gc.freeze()
    queue = app.config["QUEUE_NAME"]
    pool = OltWorkerPool([queue], app.config["REDIS_URL"], num_workers=workers)
    logging.getLogger(__name__).info(
        "worker pool on %s: %d workers serving %s", host_name(), workers, queue
    )
    pool.start(burst=burst)


# An idle RQ worker blocks on the queue for worker_ttl - 15 s between heartbeats, and a busy
# one beats every job_monitoring_interval; both bound how soon a worker is seen again after
# Redis lost its data (RQ's defaults: 405 s and 30 s).
WORKER_TTL = 35
JOB_MONITORING_INTERVAL = 10


class OltWorker(Worker):
    """An RQ worker that sets up logging and has the Flask app built before it forks jobs.

    It also registers itself again when Redis has lost its data (a restart without
    persistence, a failover, FLUSHALL): RQ's heartbeat only refreshes a worker's key, so a
    worker whose registration vanished would keep working unseen by `workers` and /health.
    """

    def __init__(self, *args, **kwargs):
        # Name workers after their host and pid (RQ's default is a bare UUID), so that an
        # execution's worker says where it ran; the suffix keeps a reused pid unique.
        kwargs["name"] = f"{host_name()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        super().__init__(*args, **kwargs)
        self.worker_ttl = WORKER_TTL
        self.job_monitoring_interval = JOB_MONITORING_INTERVAL
        configure_logging()
        from jobs.runner import preload_app  # a no-op in a pool: its parent built the app

        preload_app()

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self._register_again_if_lost()

    def maintain_heartbeats(self, job):
        super().maintain_heartbeats(job)
        self._register_again_if_lost()

    def _register_again_if_lost(self) -> None:
        """One SISMEMBER per heartbeat; the full registration only when it is gone."""
        try:
            if self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
                return
            with self.connection.pipeline() as pipe:
                pipe.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, pipe)
                pipe.expire(self.key, self.worker_ttl + 60)
                pipe.execute()
        except RedisError as exc:
            self.log.warning("worker %s: could not register again: %s", self.name, exc)
            return
        self.log.warning("worker %s registered again (Redis had lost its registration)", self.name)
