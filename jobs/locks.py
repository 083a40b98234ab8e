"""The per-OLT lock: two executions never poll one OLT at once."""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

log = logging.getLogger(__name__)

LOCK_PREFIX = "lock:snmp:olt:"


def lock_name(olt_id: int) -> str:
    """Return the Redis key of an OLT's lock."""
    return f"{LOCK_PREFIX}{olt_id}"


def olt_lock(redis: Redis, olt_id: int, timeout: int) -> Lock:
    """Return a non-blocking lock for an OLT that expires after timeout seconds."""
    return redis.lock(
        lock_name(olt_id),
        timeout=timeout,
        blocking=False,
        thread_local=False,  # a heartbeat thread may extend it
        raise_on_release_error=True,
    )


def release_quietly(lock: Lock, olt_id: int, execution_id: int) -> None:
    """Release the lock; one that expired or vanished is logged, never raised."""
    try:
        lock.release()
    except LockError:
        log.warning("lock of OLT %s expired before execution %s released it", olt_id, execution_id)
    except RedisError as exc:
        log.warning(
            "could not release the lock of OLT %s (execution %s): %s", olt_id, execution_id, exc
        )
