"""The RQ worker class and the worker pool: one parent imports the app, the workers fork from it."""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, Worker, worker_registration
from rq.scheduler import RQScheduler
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
    worker = OltWorker(queues, connection=connection, redis_url=redis_url)
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


SCHEDULER_TAKEOVER_EVERY = 30  # s between a worker's tries for a scheduler lock held elsewhere
SCHEDULER_BACKOFF_MAX = 60  # s, the longest wait before starting a crashed scheduler again
RECONNECT_BACKOFF_MAX = 8  # s, the longest wait of a scheduler for Redis to answer again


class PoolScheduler(RQScheduler):
    """RQ's scheduler (moves delayed jobs to the queue at their time), kept alive by Redis.

    RQ's own loop ends its process on the first Redis error, as at a Sentinel failover, and
    the worker starts it again only in its 10-minute maintenance pass. This one waits for
    Redis (backing off 0.5, 1, 2... 8 s) and carries on with its own client (get_redis:
    a Sentinel URL asks the sentinels for the new master). Its lock, kept on the new master
    or taken again, is checked on every pass; when another scheduler holds it (it was lost
    and taken over) this one ends, so one scheduler runs per queue.
    """

    def __init__(self, *args, redis_url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.redis_url = redis_url

    @property
    def connection(self):
        if self._connection is None and self.redis_url:
            self._connection = get_redis(self.redis_url)  # one per process: built after a fork
        return super().connection

    def work(self):
        self._install_signal_handlers()
        failures = 0
        while not self._stop_requested:
            try:
                self.register_birth()
                while not self._stop_requested:
                    if self.should_reacquire_locks:
                        self.acquire_locks()
                    self.heartbeat()
                    if not self.acquired_locks:
                        self.log.warning("scheduler %s: its lock is held by another one", self.name)
                        self._stop_requested = True
                        break
                    self.enqueue_scheduled_jobs()
                    if failures:
                        self.log.warning("scheduler %s: Redis answers again", self.name)
                        failures = 0
                    self._sleep(self.interval)
            except RedisError as exc:
                failures += 1
                self._scheduled_job_registries = []  # built again on the next pass
                delay = min(RECONNECT_BACKOFF_MAX, 0.5 * 2 ** (failures - 1))
                self.log.warning(
                    "scheduler %s: Redis unavailable (%s); trying again in %s s",
                    self.name, exc, delay,
                )  # fmt: skip
                self._sleep(delay)
        try:
            self.stop()
        except RedisError as exc:
            self.log.warning("scheduler %s: could not release its lock: %s", self.name, exc)

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake for a stop within a fraction of a second (SIGTERM at a shutdown)."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.25, left))


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

    def __init__(self, *args, redis_url: str | None = None, **kwargs):
        self.redis_url = redis_url  # for the scheduler process's own client (Sentinel too)
        self._scheduler_due = 0.0  # monotonic time of the next look at the scheduler
        self._scheduler_failures = 0
        self._scheduler_started = 0.0
        self._main_pid = 0
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
            self._keep_scheduler()

    def maintain_heartbeats(self, job):
        super().maintain_heartbeats(job)
        self._register_again_if_lost()
        self._keep_scheduler()

    def _start_scheduler(
        self, burst=False, logging_level="INFO", date_format=None, log_format=None
    ) -> None:
        """RQ's start, with our scheduler class (see PoolScheduler)."""
        self._main_pid = os.getpid()
        self._scheduler_started = time.monotonic()
        self._scheduler_burst = burst
        kwargs = {"date_format": date_format} if date_format else {}
        if log_format:
            kwargs["log_format"] = log_format
        self.scheduler = PoolScheduler(
            self.queues,
            connection=self.connection,
            redis_url=self.redis_url,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer,
            **kwargs,
        )
        try:
            self.scheduler.acquire_locks()
        except RedisError as exc:  # Redis failing over as the worker starts: _keep_scheduler
            self.log.warning("worker %s: no scheduler lock yet: %s", self.name, exc)
            return
        if not self.scheduler.acquired_locks:
            self._scheduler_due = time.monotonic() + SCHEDULER_TAKEOVER_EVERY
        elif burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()

    def _keep_scheduler(self) -> None:
        """Start the scheduler again if its process ended, or take over its lock if it's free.

        RQ looks only in its 10-minute maintenance pass: a scheduler process that died (or the
        lock of a worker that died) left the pool's delayed jobs (lock waits, retries, slots
        of schedules) unmoved for up to 10 minutes. Here each heartbeat (every 20 s idle,
        10 s busy) looks when due; restarts after a crash back off (1, 2, 4... 60 s), and a
        worker whose lock another scheduler holds tries again every SCHEDULER_TAKEOVER_EVERY
        (one SET NX), so one scheduler runs per queue and takes over within a lock's TTL.
        """
        scheduler = self.scheduler
        if (
            scheduler is None
            or self._stop_requested
            or os.getpid() != self._main_pid  # a work-horse: the process is not its child
            or getattr(self, "_scheduler_burst", True)
            or time.monotonic() < self._scheduler_due
        ):
            return
        process = scheduler._process
        if process is not None and process.is_alive():
            if time.monotonic() - self._scheduler_started > SCHEDULER_BACKOFF_MAX:
                self._scheduler_failures = 0  # it has lived a while: a crash now starts afresh
            return
        crashed = process is not None and process.exitcode not in (0, None)
        if crashed:
            self._scheduler_failures += 1
            delay = min(SCHEDULER_BACKOFF_MAX, 2 ** (self._scheduler_failures - 1))
            self.log.warning(
                "worker %s: its scheduler (pid %s) ended with code %s; starting it again",
                self.name, process.pid, process.exitcode,
            )  # fmt: skip
            scheduler._process = None  # reported once; the backoff delays the next start
        else:
            delay = SCHEDULER_TAKEOVER_EVERY
        try:
            locks = scheduler.acquire_locks(auto_start=True)
        except RedisError as exc:
            self.log.warning("worker %s: could not start its scheduler: %s", self.name, exc)
            locks = set()
        if locks:
            self._scheduler_started = time.monotonic()
        self._scheduler_due = time.monotonic() + (delay if crashed or not locks else 0)

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
