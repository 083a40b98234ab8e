"""The RQ worker class and the worker-pool command line."""

from __future__ import annotations

import logging
import os
import socket
import sys
import uuid
from pathlib import Path

from rq import Worker

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


class OltWorker(Worker):
    """An RQ worker that sets up logging and builds the Flask app once, before forking jobs."""

    def __init__(self, *args, **kwargs):
        # Name workers after their host and pid (RQ's default is a bare UUID), so that an
        # execution's worker says where it ran; the suffix keeps a reused pid unique.
        kwargs["name"] = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        super().__init__(*args, **kwargs)
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.INFO,
                format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
            )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from jobs.runner import preload_app

        preload_app()
