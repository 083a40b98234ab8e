"""The per-OLT lock: two executions never poll one OLT at once."""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

from jobs.messages import Message

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


ALIVE_PREFIX = "oltwatch:alive:execution:"


def alive_key(execution_id: int) -> str:
    """Redis key that exists while an execution's worker is alive."""
    return f"{ALIVE_PREFIX}{execution_id}"


class LockLost(Exception):
    """The OLT's lock is no longer this execution's: the run must stop (two never overlap)."""


class Heartbeat:
    """While an execution runs: say it is alive and keep the OLT's lock from expiring.

    The lock's own TTL stays short, so the lock of a worker that was killed frees itself
    quickly, while a long walk keeps it for as long as it needs. When the lock is found
    taken or gone (it expired during a Redis outage, Redis lost its data), ``lost`` is set
    and ``check()`` raises LockLost: the run stops instead of overlapping another one.
    """

    def __init__(
        self, redis: Redis, execution_id: int, lock: Lock, worker: str, every: float, ttl: int
    ) -> None:
        self.redis, self.execution_id, self.lock, self.worker = redis, execution_id, lock, worker
        self.every, self.ttl = every, ttl
        self.lost = threading.Event()
        self.reason = ""
        self._failing_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"heartbeat-{execution_id}"
        )

    def _beat(self) -> None:
        self.redis.set(alive_key(self.execution_id), self.worker, ex=self.ttl)
        self.lock.extend(self.lock.timeout, replace_ttl=True)

    def _lose(self, reason: str) -> None:
        if not self.lost.is_set():
            self.reason = reason
            self.lost.set()
            log.error("execution %s: %s; stopping it", self.execution_id, reason)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._beat()
                self._failing_since = None
            except LockNotOwnedError:
                self._lose(Message("lock_expired"))
                return
            except (LockError, RedisError) as exc:
                now = time.monotonic()
                self._failing_since = self._failing_since or now
                log.warning("heartbeat of execution %s failed: %s", self.execution_id, exc)
                if now - self._failing_since >= (self.lock.timeout or 0):
                    # the lock has expired by now: another run may take the OLT
                    self._lose(Message("lock_redis_down", seconds=self.lock.timeout or 0))
                    return

    def check(self) -> None:
        """Raise LockLost once the lock is no longer ours."""
        if self.lost.is_set():
            raise LockLost(self.reason)

    def still_owned(self) -> bool:
        """Ask Redis now whether the lock is still ours (before results are written)."""
        if self.lost.is_set():
            return False
        try:
            owned = self.lock.owned()
        except RedisError as exc:
            self._lose(Message("lock_redis_down_store", detail=str(exc)))
            return False
        if not owned:
            self._lose(Message("lock_expired"))
        return owned

    def __enter__(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(self.every + 5)
        try:
            self.redis.delete(alive_key(self.execution_id))
        except RedisError:
            pass


def lock_holders(redis: Redis) -> list[dict]:
    """Every OLT lock: OLT id, holding execution, worker, since when, seconds left."""
    holders = []
    for key in redis.scan_iter(match=f"{LOCK_PREFIX}*", count=500):
        name = key.decode() if isinstance(key, bytes) else key
        token = redis.get(name)
        if token is None:
            continue
        parts = token.decode(errors="replace").split("|") + ["", "", ""]
        holders.append(
            {
                "olt_id": int(name[len(LOCK_PREFIX) :]),
                "execution_id": parts[0],
                "worker": parts[1],
                "since": parts[2],
                "ttl_s": redis.ttl(name),
                "token": token,
            }
        )
    return sorted(holders, key=lambda h: h["olt_id"])


# Executions waiting for an OLT: a sorted set per OLT, scored by execution id (created order).
# A run that finds the OLT busy adds itself and ends, holding no worker; the run that frees
# the lock takes the first waiter out and enqueues it at once (hand-over). Both steps are
# Lua scripts, atomic with the lock's existence: a waiter is added only while the lock is
# held (so its holder will hand over), and taken out only while the lock is free.
WAITING_PREFIX = "oltwatch:olt-waiting:"

_WAIT_IF_HELD = """
if redis.call('exists', KEYS[1]) == 1 then
  redis.call('zadd', KEYS[2], ARGV[1], ARGV[1])
  return 1
end
return 0
"""

_NEXT_IF_FREE = """
if redis.call('exists', KEYS[1]) == 0 then
  local first = redis.call('zpopmin', KEYS[2])
  if #first > 0 then return first[1] end
end
return false
"""


def waiting_key(olt_id: int) -> str:
    """Redis key of the executions waiting for an OLT."""
    return f"{WAITING_PREFIX}{olt_id}"


def wait_for_olt(redis: Redis, olt_id: int, execution_id: int) -> bool:
    """Queue the execution behind the OLT's lock; False if the lock is free (take it instead)."""
    return bool(redis.eval(_WAIT_IF_HELD, 2, lock_name(olt_id), waiting_key(olt_id), execution_id))


def next_waiter(redis: Redis, olt_id: int) -> int | None:
    """Take out the first execution waiting for the OLT, if its lock is free."""
    found = redis.eval(_NEXT_IF_FREE, 2, lock_name(olt_id), waiting_key(olt_id))
    return int(found) if found else None


def waiting(redis: Redis) -> dict[int, list[int]]:
    """Every OLT with executions waiting for it: OLT id -> execution ids in created order."""
    keys = list(redis.scan_iter(match=f"{WAITING_PREFIX}*", count=500))
    with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.zrange(key, 0, -1)
        members = pipe.execute()
    out = {}
    for key, ids in zip(keys, members, strict=True):
        name = key.decode() if isinstance(key, bytes) else key
        if ids:
            out[int(name[len(WAITING_PREFIX) :])] = [int(i) for i in ids]
    return out


def forget_waiter(redis: Redis, olt_id: int, execution_id: int) -> None:
    """Take an execution that will never run out of its OLT's waiting set."""
    redis.zrem(waiting_key(olt_id), execution_id)


_DELETE_IF_SAME = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def clear_lock_if(redis: Redis, olt_id: int, token: bytes) -> bool:
    """Delete an OLT's lock only if it still holds this token (never a lock taken since)."""
    return bool(redis.eval(_DELETE_IF_SAME, 1, lock_name(olt_id), token))
