"""Per-OLT hand-over: when an OLT's lock is freed, its next waiting execution runs at once.

An execution whose OLT is busy does not poll the lock (it used to be queued again every
5 s, up to 120 times, holding a worker each time and starting seconds late): it adds itself
to the OLT's waiting set and ends. Whoever frees the lock (the run that held it, or the
reaper that cleared a lost one) enqueues the first waiter that is still PENDING.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import update

from jobs.dispatch import enqueue_executions
from jobs.locks import lock_name, next_waiter, wait_for_olt, waiting, waiting_key
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow
from webapp.models.executions import PENDING

log = logging.getLogger(__name__)

HAND_OVER_LIMIT = 100  # waiters looked at per hand-over (those no longer PENDING are dropped)


def hand_over(redis: Redis, olt_id: int) -> int | None:
    """Enqueue the first execution waiting for the OLT that is still PENDING; its id."""
    for _ in range(HAND_OVER_LIMIT):
        try:
            execution_id = next_waiter(redis, olt_id)
        except RedisError as exc:
            log.warning("OLT %s: could not hand over to a waiting execution: %s", olt_id, exc)
            return None
        if execution_id is None:
            return None
        ex = db.session.get(Execution, execution_id)
        if ex is None or ex.status != PENDING:
            continue  # cancelled, failed by the reaper or deleted while it waited
        enqueue_executions([ex], suffix=f"-h{uuid.uuid4().hex[:6]}")
        log.info(
            "OLT %s (%s) is free: execution %s, waiting for it, enqueued",
            ex.olt_name,
            olt_id,
            ex.id,
        )
        return ex.id
    return None


@dataclass(frozen=True)
class Waiter:
    """What the lock step needs of an execution, read before it (no ORM row kept)."""

    id: int
    olt_id: int
    olt_name: str
    summary: dict


TAKE_TRIES = 5  # lock taken or waiter added: each try can only lose to a lock freed meanwhile


def take_or_wait(redis, lock, ex: Waiter, me: str) -> bool:
    """Take the OLT's lock (True), or join its waiters while it is held (False)."""
    for _ in range(TAKE_TRIES):
        if lock.acquire(token=f"{ex.id}|{me}|{utcnow().isoformat()}"):
            return True
        if wait_for_olt(redis, ex.olt_id, ex.id):
            return False
    # The lock came and went five times in a row: wait anyway; the reaper's pass hands
    # over an OLT that has waiters and no lock.
    redis.zadd(waiting_key(ex.olt_id), {str(ex.id): ex.id})
    return False


def hand_over_quietly(redis, olt_id: int | None) -> None:
    """Pass a free OLT to its next waiting execution (never fails the run that frees it)."""
    if olt_id is None:
        return
    try:
        hand_over(redis, olt_id)
    except Exception:
        log.exception("OLT %s: hand-over to the next waiting execution failed", olt_id)


def record_wait(ex: Waiter, redis) -> dict:
    """The OLT is busy: stay PENDING, holding no worker, until its holder hands it over."""
    holder = (redis.get(lock_name(ex.olt_id)) or b"").decode(errors="replace")
    holder_id = holder.split("|", 1)[0] if holder else "?"
    waits = int((ex.summary or {}).get("lock_waits", 0)) + 1
    # Only while it is still PENDING: its holder may already have handed it over, and a
    # worker may be running it by now, whose summary this must not overwrite.
    db.session.execute(
        update(Execution)
        .where(Execution.id == ex.id, Execution.status == PENDING)
        .values(summary={"lock_waits": waits, "lock_held_by_execution": holder_id})
    )
    db.session.commit()
    log.info(
        "execution %s: OLT %s busy (held by execution %s); waiting for it to be handed over",
        ex.id,
        ex.olt_name,
        holder_id,
    )
    return {"execution": ex.id, "outcome": "waiting for its OLT"}


def hand_over_idle(redis: Redis) -> int:
    """Hand over every OLT that has waiters and no lock (its holder died); how many."""
    return sum(hand_over(redis, olt_id) is not None for olt_id in waiting(redis))
