"""The periodic tick: dispatch due jobs (driven by rq-scheduler in the `scheduler` process).

rq-scheduler enqueues the repeating tick job on the `control` queue, and the scheduler
process runs that queue itself right after, so a tick never waits behind SNMP walks on
discovery_main (the original system's dispatcher did: B17).
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.utils import now as rq_now
from rq_scheduler import Scheduler
from sqlalchemy import select, update

from jobs import housekeeping, metrics
from jobs.dispatch import ALREADY_PENDING, ALREADY_RUNNING, run_jobs_now
from jobs.housekeeping import hourly
from jobs.queues import get_redis
from jobs.reaper import reap
from jobs.schedule import next_run
from webapp.extensions import db
from webapp.models import SnmpJob
from webapp.models.base import utcnow

log = logging.getLogger(__name__)

CONTROL = "control"
TICK_JOB_ID = "oltwatch-tick"
TICK = "jobs.scheduler.tick"
LAST_TICK_KEY = "oltwatch:scheduler:last-tick"


def _claim(job_id: int, seen: datetime | None, new_next: datetime) -> bool:
    """Move next_run_at from what we saw to the next slot; False if another tick did it."""
    same = SnmpJob.next_run_at.is_(None) if seen is None else SnmpJob.next_run_at == seen
    result = db.session.execute(
        update(SnmpJob)
        .where(SnmpJob.id == job_id, SnmpJob.enabled.is_(True), same)
        .values(next_run_at=new_next)
    )
    db.session.commit()
    return result.rowcount == 1


def dispatch_due_jobs(now: datetime | None = None, horizon: float = 0) -> dict:
    """Claim every enabled job due within `horizon` seconds and run it through run_jobs_now.

    A job whose slot is still ahead gets its execution now, queued in RQ's scheduled
    registry for that slot: the worker pool's scheduler (every second) queues it on time,
    where waiting for the next tick would start it up to a tick period late.
    """
    now = now or utcnow()
    tz = current_app.config["TIMEZONE"]
    until = now + timedelta(seconds=horizon)
    due = db.session.execute(
        select(SnmpJob.id, SnmpJob.next_run_at, SnmpJob.interval, SnmpJob.cron).where(
            SnmpJob.enabled.is_(True),
            SnmpJob.interval.is_not(None) | SnmpJob.cron.is_not(None),  # else: manual only
            SnmpJob.next_run_at.is_(None) | (SnmpJob.next_run_at <= until),
        )
    ).all()
    db.session.commit()
    claimed, broken, slots = [], [], {}
    for job_id, seen, interval, cron in due:
        try:
            new_next = next_run(interval, cron, max(now, seen or now), tz, slot=seen)
        except ValueError as exc:
            broken.append(job_id)
            log.error("job %s has a bad schedule (%s); not run", job_id, exc)
            continue
        if _claim(job_id, seen, new_next):
            claimed.append(job_id)
            slots[job_id] = seen or now
    report = (
        run_jobs_now(claimed, trigger="schedule", label="", scheduled_for=slots)
        if claimed
        else None
    )
    active = [
        s
        for _job, s in (report.skips if report else [])
        if s.reason in (ALREADY_PENDING, ALREADY_RUNNING)
    ]
    summary = {
        "due": len(due),
        "claimed": len(claimed),
        "created": report.created if report else 0,
        "skipped_active": len(active),
        "bad_schedule": len(broken),
    }
    if due:
        log.info("tick at %s: %s", now.isoformat(), summary)
    return summary


def tick(every: float = 0) -> dict:
    """The periodic job: reap lost executions, dispatch due jobs; note when it ran.

    Jobs due before the tick after next (two periods: a tick may come late) are claimed now
    and queued for their slot.
    """
    from jobs.runner import _get_app

    with _get_app().app_context():
        try:
            summary = {
                "reaper": reap(),
                **dispatch_due_jobs(horizon=2 * every),
                "purged": hourly(),
                "history": housekeeping.history(),
                "alarms": housekeeping.alarms_due(),
            }
        finally:
            db.session.remove()
        metrics.scheduler_ticked(summary)
        redis = get_redis(current_app.config["REDIS_URL"])
        # Alive means "ticking": a tick that was running while Redis lost its data ends in an
        # empty Redis where it is no longer scheduled; /health waits for the next pass to
        # schedule it again rather than calling the scheduler alive on this tick's word.
        if redis.zscore(Scheduler.scheduled_jobs_key, TICK_JOB_ID) is not None:
            redis.set(LAST_TICK_KEY, utcnow().isoformat())
        else:
            log.warning("tick done, but it is no longer scheduled (Redis lost its data?)")
        return summary


class TickScheduler(Scheduler):
    """rq-scheduler that also works the control queue after each pass (in this process).

    Each pass first makes sure the repeating tick is still scheduled and that this scheduler
    is still registered: when Redis loses its data (a restart without persistence, a
    failover, FLUSHALL) both vanish, and rq-scheduler alone would loop on forever with
    nothing to run (no dispatch, no reaper) until someone restarted it.
    """

    def __init__(self, *args, every: int, **kwargs):
        super().__init__(*args, interval=every, **kwargs)
        self.every = every
        self._in_tick = False
        self._stop_requested = False
        self._lock_left = False  # our pass lock, left behind when Redis went away

    # rq-scheduler's handlers end the process at once, and the SimpleWorker that runs the tick
    # used to replace them with RQ's own (a stop asked during a tick was then forgotten, and
    # the scheduler had to be killed). Ours: a stop waits for the tick in hand, then ends.
    def _install_signal_handlers(self):
        def stop(signum, frame):
            log.info("scheduler: %s received, stopping", signal.Signals(signum).name)
            self._stop_requested = True
            if not self._in_tick:
                raise SystemExit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    # Ending (a signal, or the loop broken by Redis going away) must not fail on Redis: the
    # signal's SystemExit must end the process, not a ConnectionError raised on the way out.
    def register_death(self):
        try:
            super().register_death()
        except RedisError as exc:
            log.warning("scheduler: could not register its end: %s", exc)

    def remove_lock(self):
        try:
            super().remove_lock()
        except RedisError as exc:
            self._lock_acquired = False
            self._lock_left = True
            log.warning("scheduler: could not remove its lock: %s", exc)

    def clean_up_broken_loop(self) -> None:
        """Remove what a loop broken by Redis left (after a failover the new master has it):
        our registration, and our pass lock (else every pass is skipped until it expires)."""
        self.connection.delete(self.key)
        if self._lock_left:
            self.connection.delete(self.scheduler_lock_key)
            self._lock_left = False

    def schedule_tick(self) -> None:
        """(Re)create the repeating tick, due now."""
        self.schedule(
            scheduled_time=datetime.now(UTC).replace(tzinfo=None),  # naive UTC for rq-scheduler
            func=TICK,
            kwargs={"every": self.every},
            interval=self.every,
            repeat=None,
            id=TICK_JOB_ID,
            queue_name=CONTROL,
            result_ttl=self.every * 10,
            timeout=max(60, self.every * 4),
        )

    def enqueue_jobs(self):
        if TICK_JOB_ID not in self:
            log.warning("the scheduler tick was gone (Redis lost its data?): scheduled again")
            self.schedule_tick()
        if not self.connection.exists(self.key):
            self.register_birth()
        jobs = super().enqueue_jobs()
        control = Queue(CONTROL, connection=self.connection)
        self._in_tick = True
        try:
            _ControlWorker([control], connection=self.connection).work(
                burst=True, logging_level="WARNING"
            )
        finally:
            self._in_tick = False
        if self._stop_requested:
            raise SystemExit(0)
        return jobs


class _ControlWorker(SimpleWorker):
    """Works the control queue inside the scheduler, under the scheduler's signal handlers."""

    def _install_signal_handlers(self):
        pass

    # RQ's register_birth without adding the worker to RQ's worker sets: a pass of the tick is
    # not a worker of the pool, and /health and `workers` count those (a pass that Redis broke
    # would also have stayed counted until its key expired, minutes later).
    def register_birth(self):
        if self.connection.exists(self.key) and not self.connection.hexists(self.key, "death"):
            raise ValueError(f"There exists an active worker named {self.name!r} already")
        self.birth_date = self.last_heartbeat = rq_now()
        with self.connection.pipeline() as pipe:
            pipe.delete(self.key)
            pipe.hset(self.key, mapping=self.serialize())
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()


def run_scheduler(redis_url: str, every: int) -> None:
    """Register the repeating tick and run the scheduler loop until stopped (a signal).

    Redis being unreachable (restarting, failing over) does not end the scheduler: it waits
    one period and starts its loop again.
    """
    connection = get_redis(redis_url)
    scheduler = TickScheduler(queue_name=CONTROL, connection=connection, every=every)
    while True:
        try:
            if TICK_JOB_ID in scheduler:
                scheduler.cancel(TICK_JOB_ID)  # the interval may have changed since last start
            scheduler.schedule_tick()
            log.info("scheduler ticking every %s s on %s", every, CONTROL)
            scheduler.clean_up_broken_loop()
            scheduler.run()
            return
        except RedisError as exc:
            log.error("scheduler: Redis unavailable (%s); trying again in %s s", exc, every)
            time.sleep(every)
        except Exception:  # an rq error on a Redis half back must not end the scheduler
            log.exception("scheduler: its loop failed; starting it again in %s s", every)
            time.sleep(every)
