"""The RQ worker class and the worker-pool command line."""

from __future__ import annotations

import logging
import os
import socket
import sys
import uuid
from pathlib import Path

from redis.exceptions import RedisError
from rq import Worker, worker_registration

from jobs.queues import DISCOVERY_MAIN

ROOT = Path(__file__).resolve().parent.parent


def worker_pool_command(redis_url: str, workers: int, burst: bool = False) -> list[str]:
    """Return the argv of `rq worker-pool` serving discovery_main with our worker class."""
    rq = str(Path(sys.executable).parent / "rq")
    cmd = [
        rq,
        "worker-pool",
        DISCOVERY_MAIN,
        "-n",
        str(workers),
        "-u",
        redis_url,
        "-w",
        "jobs.workers.OltWorker",
        "-P",
        str(ROOT),
    ]
    if burst:
        cmd.append("--burst")
    return cmd


# An idle RQ worker blocks on the queue for worker_ttl - 15 s between heartbeats, and a busy
# one beats every job_monitoring_interval; both bound how soon a worker is seen again after
# Redis lost its data (RQ's defaults: 405 s and 30 s).
WORKER_TTL = 35
JOB_MONITORING_INTERVAL = 10


class OltWorker(Worker):
    """An RQ worker that sets up logging and builds the Flask app once, before forking jobs.

    It also registers itself again when Redis has lost its data (a restart without
    persistence, a failover, FLUSHALL): RQ's heartbeat only refreshes a worker's key, so a
    worker whose registration vanished would keep working unseen by `workers` and /health.
    """

    def __init__(self, *args, **kwargs):
        # Name workers after their host and pid (RQ's default is a bare UUID), so that an
        # execution's worker says where it ran; the suffix keeps a reused pid unique.
        kwargs["name"] = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        super().__init__(*args, **kwargs)
        self.worker_ttl = WORKER_TTL
        self.job_monitoring_interval = JOB_MONITORING_INTERVAL
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.INFO,
                format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
            )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from jobs.runner import preload_app

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
