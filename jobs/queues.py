"""The one place that builds Redis connections and RQ queues."""

from __future__ import annotations

import os

from redis import Redis
from rq import Queue

DISCOVERY_MAIN = "discovery_main"
RUN_EXECUTION = "jobs.runner.run_execution"  # enqueued by dotted path: the web never imports it

_clients: dict[tuple[str, int], Redis] = {}


def get_redis(url: str) -> Redis:
    """Return a Redis client for url, one per process (RQ needs raw bytes, not decoded text)."""
    key = (url, os.getpid())
    client = _clients.get(key)
    if client is None:
        client = Redis.from_url(
            url,
            socket_connect_timeout=3,
            socket_timeout=10,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        _clients[key] = client
    return client


def get_queue(url: str, name: str = DISCOVERY_MAIN) -> Queue:
    """Return the RQ queue called name on the Redis at url."""
    return Queue(name, connection=get_redis(url))


def rq_job_id(execution_id: int, attempt: int = 0) -> str:
    """RQ job id of an execution; RQ ids allow letters, digits, '-' and '_' only."""
    return f"execution-{execution_id}" if attempt == 0 else f"execution-{execution_id}-r{attempt}"


def redis_describe(url: str) -> str:
    """Return url without its password, for messages."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
