"""The RQ worker class and the worker pool: one parent imports the app, the workers fork from it."""

from __future__ import annotations

import gc
import logging
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, worker_registration
from rq.job import Job
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
    worker.recycled = True  # the pool starts a fresh worker when this one ends
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
    or taken again, is checked every second; when another scheduler holds it (it was lost
    and taken over) this one ends, so one scheduler runs per queue. It queues each job at its
    time, not at the next whole second (enqueue_scheduled_jobs).
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
                beat_due = 0.0
                while not self._stop_requested:
                    if time.monotonic() >= beat_due:
                        if self.should_reacquire_locks:
                            self.acquire_locks()
                        self.heartbeat()
                        beat_due = time.monotonic() + self.interval
                    if not self.acquired_locks:
                        self.log.warning("scheduler %s: its lock is held by another one", self.name)
                        self._stop_requested = True
                        break
                    self.enqueue_scheduled_jobs()
                    if failures:
                        self.log.warning("scheduler %s: Redis answers again", self.name)
                        failures = 0
                    self._sleep(min(beat_due - time.monotonic(), self._next_due()))
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

    def enqueue_scheduled_jobs(self) -> None:
        """Queue the jobs now due: RQ's, but due to the microsecond.

        RQ compares the scores with the time in whole seconds and looks once a second, so a
        job was queued between a second early and a second late; dispatch scores a slot with
        its exact time, and the loop wakes when the next one is due (``_next_due``)."""
        self._status = self.Status.WORKING
        if not self._scheduled_job_registries and self._acquired_locks:
            self.prepare_registries()
        for registry in self._scheduled_job_registries:
            job_ids = registry.get_jobs_to_schedule(time.time())  # type: ignore[arg-type]
            if not job_ids:
                continue
            redis, serializer = self.connection, self.serializer
            queue = Queue(registry.name, connection=redis, serializer=serializer)
            with redis.pipeline() as pipeline:
                jobs = Job.fetch_many(job_ids, connection=redis, serializer=serializer)
                for job in jobs:
                    if job is not None:
                        at_front = job.should_enqueue_at_front()
                        queue._enqueue_job(job, pipeline=pipeline, at_front=at_front)
                for job_id in job_ids:
                    registry.remove(job_id, pipeline=pipeline)
                pipeline.execute()
        self._status = self.Status.STARTED

    def _next_due(self) -> float:
        """Seconds until the soonest scheduled job is due (inf: none is scheduled)."""
        soonest = math.inf
        for registry in self._scheduled_job_registries:
            first = self.connection.zrange(registry.key, 0, 0, withscores=True)
            if first:
                soonest = min(soonest, first[0][1])
        return max(0.0, soonest - time.time())

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake for a stop within a fraction of a second (SIGTERM at a shutdown)."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.25, left))


MEMORY_CHECK_EVERY = 8  # jobs
MEMORY_CHECK_GROWTH = 8 * 2**20  # bytes


def resident_memory() -> int:
    """Bytes of this process's resident set, shared pages included (/proc/self/statm; 0
    where /proc does not tell)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def own_memory() -> int:
    """Bytes of this process's memory no other process shares (USS: private pages of
    /proc/self/smaps_rollup; pages still shared copy-on-write with the pool's parent do not
    count); 0 where /proc does not tell."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            text = f.read()
    except OSError:
        return 0
    total = 0
    for line in text.splitlines():
        if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
            total += int(line.split()[1]) * 1024
    return total


# An idle RQ worker blocks on the queue for worker_ttl - 15 s between heartbeats (RQ's
# default: 405 s), which bounds how soon a worker is seen again after Redis lost its data; a
# busy one beats again when its job ends (its key lives the job's timeout + 60 s meanwhile)
WORKER_TTL = 35


# Past its job's timeout, RQ's signal ends a job; one that ignores it for this long (stuck in C
# code) ends its worker as RQ's Worker kills a work-horse (and the pool starts a new worker)
OVERRUN_GRACE = 60


class OltWorker(SimpleWorker):
    """An RQ worker that runs each job in its own process, with the Flask app built once.

    RQ's Worker forks a work-horse per job. On CPython the fork and the pages the horse then
    copies (reference counts are written in every object it touches) cost more than a 256-ONU
    poll itself: 107 ms of CPU per poll with a horse, 49 ms without (bench/soak.py, 50 OLTs,
    issue 11). So jobs run here, as RQ's SimpleWorker runs them, and what a horse gave is
    kept another way (as Celery's prefork pool does):
    - a job past its timeout gets RQ's JobTimeoutException (SIGALRM), as it did in a horse;
      one the signal cannot reach (stuck in C code) ends the worker OVERRUN_GRACE seconds
      later (a watchdog thread), the pool starts a new one and the reaper settles the run;
    - memory is given back by recycling: a pool's worker whose own memory (not shared with
      the pool's parent) is over WORKER_MAX_MEMORY_MB after a job, or that has run
      WORKER_MAX_JOBS jobs, ends; the pool forks a fresh one from its parent. (A worker
      started alone, by `rq worker`, has no pool to replace it and is not recycled.)

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
        configure_logging()
        from jobs.runner import preload_app  # a no-op in a pool: its parent built the app

        config = preload_app().config
        self.max_memory = config["WORKER_MAX_MEMORY_MB"] * 2**20  # bytes; 0: no limit
        self.max_jobs = config["WORKER_MAX_JOBS"]  # 0: no limit
        self.jobs_done = 0
        self.recycled = False  # a worker alone (rq worker) has no pool to replace it: it stays
        self._rss_checked = 0  # the resident set at the last look at the worker's own memory

    def execute_job(self, job, queue) -> None:
        """Run the job here (RQ's SimpleWorker), watched; then end the worker if it is due."""
        timeout = job.timeout if job.timeout and job.timeout > 0 else None
        watchdog = None
        if timeout is not None:
            watchdog = threading.Timer(timeout + OVERRUN_GRACE, self._overran, (job.id, timeout))
            watchdog.daemon = True
            watchdog.start()
        try:
            super().execute_job(job, queue)
        finally:
            if watchdog is not None:
                watchdog.cancel()
        self.jobs_done += 1
        if self.recycled:
            self._recycle_if_due()

    def _overran(self, job_id: str, timeout: int) -> None:
        """The watchdog: the job ignored its timeout; end the process as RQ ends a horse."""
        self.log.error(
            "worker %s: job %s still running %s s past its %s s timeout; ending the worker",
            self.name, job_id, OVERRUN_GRACE, timeout,
        )  # fmt: skip
        logging.shutdown()
        os._exit(70)  # EX_SOFTWARE; the pool starts another worker

    def _memory_check_due(self) -> bool:
        """Whether to read the worker's own memory now (~3 ms in a worker: the kernel walks
        its pages): every MEMORY_CHECK_EVERY jobs (pages copied from the parent add up slowly),
        and after a job that grew the resident set (cheap to read) by MEMORY_CHECK_GROWTH."""
        rss = resident_memory()
        if self.jobs_done % MEMORY_CHECK_EVERY and rss - self._rss_checked < MEMORY_CHECK_GROWTH:
            return False
        self._rss_checked = rss
        return True

    def _recycle_if_due(self) -> None:
        """Ask the work loop to end after this job when the worker is due for recycling."""
        why = None
        if self.max_jobs and self.jobs_done >= self.max_jobs:
            why = f"{self.jobs_done} jobs run (WORKER_MAX_JOBS)"
        elif self.max_memory and self._memory_check_due():
            if (own := own_memory()) > self.max_memory:
                why = f"{own / 2**20:.0f} MB of its own memory (WORKER_MAX_MEMORY_MB)"
        if why:
            self.log.info("worker %s: ending after %s; the pool starts a fresh one", self.name, why)
            self._stop_requested = True

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
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
        and after each job) looks when due; restarts after a crash back off (1, 2, 4... 60 s), and a
        worker whose lock another scheduler holds tries again every SCHEDULER_TAKEOVER_EVERY
        (one SET NX), so one scheduler runs per queue and takes over within a lock's TTL.
        """
        scheduler = self.scheduler
        if (
            scheduler is None
            or self._stop_requested
            or os.getpid() != self._main_pid  # a forked child: the process is not its child
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
