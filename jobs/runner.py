"""The worker entry point: run one execution under the OLT's lock, with a visible lifecycle."""

from __future__ import annotations

import logging
import os
import socket
from time import monotonic
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from jobs import errors, gauges, notify, onu_history, prefork
from jobs.columns import Scope
from jobs.context import RunContext
from jobs.detection import detect_olt, needs_detection, target_of
from jobs.errors import JobError
from jobs.handover import Waiter, hand_over_quietly, record_wait, take_or_wait
from jobs.lifecycle import finish_if
from jobs.locks import Heartbeat, LockLost, olt_lock, release_quietly
from jobs.logtag import run_tag, tag_olt
from jobs.messages import Message
from jobs.queues import get_redis
from jobs.retry import schedule_retry
from jobs.types import get_type
from jobs.types._rows import paused_gc
from snmp.errors import SnmpError
from webapp.extensions import db, read_only
from webapp.models import Execution, Olt
from webapp.models.base import utcnow
from webapp.models.executions import FAILED, INTERRUPTED, PENDING, RUNNING, SUCCESS

log = logging.getLogger(__name__)
_app: Flask | None = None
_app_pid: int | None = None


def preload_app(prepare: bool = True) -> Flask:
    """Build the worker's Flask app once, in the worker process, before its first job
    (and, unless told not to, what a run would build on its first use: jobs.prefork)."""
    global _app, _app_pid
    if _app is None:
        from webapp import create_app

        _app, _app_pid = create_app(), os.getpid()
        if prepare:
            prefork.prepare(_app)
    return _app


def use_app(app: Flask) -> None:
    """Run jobs with this app (a worker pool's parent built it; its workers fork from it)."""
    global _app, _app_pid
    _app, _app_pid = app, os.getpid()
    prefork.prepare(app)


def _get_app() -> Flask:
    global _app_pid
    if has_app_context() and current_app._get_current_object() is not _app:
        return current_app._get_current_object()  # a test's app, in its own process
    # a pool's worker still sees its parent's app: same app; a worker whose parent built
    # none builds it now, and prepares nothing it would not use itself
    app = preload_app(prepare=False)
    if _app_pid != os.getpid():
        # A forked process must not reuse its parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return app


def worker_name() -> str:
    """Name of the RQ worker running this code (host:pid outside a worker)."""
    job = get_current_job()
    if job is not None and job.worker_name:
        return job.worker_name
    return f"{socket.gethostname()}:{os.getpid()}"


def run_execution(execution_id: int, lock_try: int = 0) -> dict:
    """Run one execution (the RQ job); returns a small dict for RQ's result.

    lock_try is ignored: RQ jobs queued by an older version still carry it.
    """
    with _get_app().app_context(), run_tag(execution_id):
        try:
            return _run(execution_id)
        except JobTimeoutException:
            seconds = current_app.config["JOB_TIMEOUT"]
            _fail_quietly(execution_id, Message("job_timeout_killed", seconds=seconds))
            raise
        except RedisError as exc:  # the lock or the heartbeat could not reach Redis
            log.error("execution %s: Redis unavailable: %s", execution_id, exc)
            _fail_quietly(execution_id, Message("redis_unavailable", detail=str(exc)))
            raise
        except Exception as exc:
            log.exception("execution %s: internal error", execution_id)
            _fail_quietly(execution_id, internal_error(exc))
            raise
        finally:
            db.session.remove()


def _fail_quietly(execution_id: int, error: str) -> None:
    """Mark an execution that is still PENDING or RUNNING as FAILED and retry it (best effort)."""
    try:
        db.session.rollback()
        ex = db.session.get(Execution, execution_id)
        if ex is None or not finish_if(ex, FAILED, expect=(PENDING, RUNNING), error=error):
            db.session.rollback()
            return
        if ex.job_host is not None:
            ex.job_host.record_failure(ex.finished_at)
        db.session.commit()
        schedule_retry(ex)
    except Exception:
        log.exception("execution %s: could not record the failure %r", execution_id, error)


def _run(execution_id: int) -> dict:
    cfg = current_app.config
    redis = get_redis(cfg["REDIS_URL"])
    # What a run checks first only reads: on SQLite it takes no write lock, so twenty runs
    # starting together do not queue behind each other (nor behind another run's store).
    with read_only():
        ex = load_execution(execution_id, CHECKED)
        if ex is None:
            log.warning("execution %s does not exist; nothing to run", execution_id)
            return {"execution": execution_id, "outcome": "missing"}
        seen = Waiter(ex.id, ex.olt_id, ex.olt_name, dict(ex.summary or {}))
        tag_olt(ex.olt_name)
        status = ex.status
        reason = errors.disabled_reason(ex) if status == PENDING else None
        db.session.rollback()
    if status != PENDING:
        log.info("execution %s is %s, not PENDING; not running it", execution_id, status)
        hand_over_quietly(redis, seen.olt_id)  # it may have been handed the OLT: pass it on
        return {"execution": execution_id, "outcome": f"skipped ({status})"}
    if reason:
        ex = db.session.get(Execution, execution_id)
        finish_if(ex, INTERRUPTED, expect=(PENDING,), error=reason)
        db.session.commit()
        log.info("execution %s interrupted: %s", execution_id, reason)
        hand_over_quietly(redis, seen.olt_id)
        return {"execution": execution_id, "outcome": INTERRUPTED}
    lock = olt_lock(redis, seen.olt_id, cfg["LOCK_TTL"])
    me = worker_name()
    if not take_or_wait(redis, lock, seen, me):
        return record_wait(seen, redis)
    olt_id = seen.olt_id
    try:
        beat = Heartbeat(redis, execution_id, lock, me, cfg["HEARTBEAT_SECONDS"], cfg["ALIVE_TTL"])
        with beat:
            if not _mark_running(execution_id, me):
                return {"execution": execution_id, "outcome": "skipped (no longer PENDING)"}
            # The walk, the decoding and the store allocate a few hundred thousand objects
            # that live to the end of the run: the cyclic collector's full passes over them
            # cost several times the work (bench/store.py); a run leaves no cycle to free early.
            with paused_gc():
                return _perform(execution_id, beat)
    finally:
        release_quietly(lock, olt_id, execution_id)
        hand_over_quietly(redis, olt_id)


# What each step reads of an execution, loaded with it in one SELECT (no lazy load per row).
CHECKED = (joinedload(Execution.job), joinedload(Execution.olt), joinedload(Execution.job_host))
PLANNED = (
    joinedload(Execution.job),
    joinedload(Execution.olt).joinedload(Olt.model),  # Olt.profile_key
    joinedload(Execution.olt).joinedload(Olt.brand),
)
FINISHED = (joinedload(Execution.job_host),)


def load_execution(execution_id: int, options: tuple) -> Execution | None:
    """The execution with what a step reads of it (CHECKED, PLANNED or FINISHED)."""
    # populate_existing: rows left expired by an earlier commit are loaded with their
    # related rows too (else a refresh loads the execution alone, and the rest lazily)
    return db.session.get(Execution, execution_id, options=options, populate_existing=True)


def _mark_running(execution_id: int, worker: str) -> bool:
    """PENDING -> RUNNING by compare-and-set, committed at once so it is visible."""
    result = db.session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == PENDING)
        .values(status=RUNNING, started_at=utcnow(), worker_name=worker)
    )
    db.session.commit()
    return result.rowcount == 1


def _context(ex: Execution, check=None) -> RunContext:
    """What the run needs, read while the session is open."""
    olt = ex.olt
    cfg = current_app.config
    max_reps = (ex.job.options or {}).get("max_repetitions") or olt.max_repetitions or 25
    olt_tz = cfg.get("OLT_TIMEZONE") or cfg["TIMEZONE"]
    return RunContext(
        execution_id=ex.id,
        job_type=ex.job.job_type,
        olt_id=olt.id,
        olt_name=olt.name,
        address=olt.address,
        scope=Scope(olt.brand_id, olt.model_id, olt.profile_key),
        target=target_of(olt, max_repetitions=max_reps),
        options=dict(ex.job.options or {}),
        absent_after=max(1, int(cfg["ABSENT_AFTER_MISSES"])),
        olt_tz=ZoneInfo(olt_tz),
        check=check or (lambda: None),
    )


def _detect_first(execution_id: int) -> Execution | None:
    """An OLT in "detect" mode is detected before it is polled (committed at once).

    Returns the execution, loaded for planning, when there was nothing to detect: its read
    transaction is still open, so the plan reads what this check read (one SELECT)."""
    with read_only():
        ex = load_execution(execution_id, PLANNED)
        if not needs_detection(ex.olt):
            return ex
        db.session.rollback()
    olt = db.session.get(Execution, execution_id).olt
    data = detect_olt(olt, apply=True)
    db.session.commit()
    if not data.get("answered"):
        raise JobError(data["message"])  # already "OLT x (host) did not answer within…"
    if not data.get("applied"):
        detail = str(data["message"])
        raise JobError(
            Message("detection_not_applied", olt=olt.name, address=olt.address, detail=detail)
        )
    return None


def _perform(execution_id: int, beat: Heartbeat) -> dict:
    """Detect if needed, poll the OLT, store the results and finish the execution."""
    started = monotonic()
    ctx = None
    try:
        ex = _detect_first(execution_id)
        beat.check()
        with read_only():  # planning reads only (SQLite: no write lock)
            if ex is None:  # detected and committed: read it again
                ex = load_execution(execution_id, PLANNED)
            job_type = get_type(ex.job.job_type)
            ctx = _context(ex, check=beat.check)
            plan = job_type.plan(ex, ctx)
            db.session.close()  # no transaction stays open while the OLT is polled
        result = job_type.poll(ctx, plan)
        beat.check()
        snmp_s = monotonic() - started
        db_started = monotonic()
        summary = job_type.store(ctx, plan, result)
        summary.update(snmp_s=round(snmp_s, 3), db_s=round(monotonic() - db_started, 3))
        return _finish(execution_id, SUCCESS, summary=summary, beat=beat)
    except LockLost as exc:
        return _finish(execution_id, INTERRUPTED, error=lock_lost_error(_reason(exc)))
    except SnmpError as exc:
        return _finish(execution_id, FAILED, error=_describe(ctx, execution_id, exc))
    except JobError as exc:
        return _finish(execution_id, FAILED, error=exc.message)
    except JobTimeoutException:
        timeout = current_app.config["JOB_TIMEOUT"]
        return _finish(execution_id, FAILED, error=Message("job_timeout", seconds=timeout))
    except Exception as exc:
        log.exception("execution %s: internal error", execution_id)
        return _finish(execution_id, FAILED, error=internal_error(exc))


def internal_error(exc: BaseException) -> Message:
    """The error of a run that failed on a bug (logged with its traceback)."""
    return Message("internal", exception=type(exc).__name__, detail=str(exc))


def _reason(exc: LockLost) -> str:
    """Why the lock was lost: the Message the heartbeat raised with, or its text."""
    return exc.args[0] if exc.args else ""


def lock_lost_error(reason: str) -> Message:
    """The execution's error when its run stopped because the OLT lock was lost."""
    return Message("lock_lost", reason=reason)


def _describe(ctx: RunContext | None, execution_id: int, exc: SnmpError) -> str:
    """The error sentence of an SNMP failure (the OLT's name and address, never a secret)."""
    if ctx is None:  # failed while detecting: read what the sentence needs
        db.session.rollback()
        olt = db.session.get(Execution, execution_id).olt
        ctx = _context_for_errors(olt)
    return errors.describe_snmp_error(ctx, exc)


def _context_for_errors(olt) -> RunContext:
    return RunContext(
        execution_id=0,
        job_type="",
        olt_id=olt.id,
        olt_name=olt.name,
        address=olt.address,
        scope=Scope(olt.brand_id, olt.model_id, olt.profile_key),
        target=target_of(olt),
    )


def _finish(
    execution_id: int,
    status: str,
    error: str | None = None,
    summary=None,
    beat: Heartbeat | None = None,
) -> dict:
    """Write the terminal status and the job host's counters (with the results, if any).

    The status moves from RUNNING only (compare-and-set): if the reaper or a user ended the
    execution meanwhile, their decision stands and nothing of this run is stored. Results
    are stored only while the OLT's lock is still this run's.
    """
    if status != SUCCESS:
        db.session.rollback()  # nothing half-stored survives a failure
    elif beat is not None and not beat.still_owned():
        db.session.rollback()
        status, error, summary = INTERRUPTED, lock_lost_error(beat.reason), None
    ex = load_execution(execution_id, FINISHED)
    waited = {k: v for k, v in (ex.summary or {}).items() if k.startswith("lock_")}
    if not finish_if(ex, status, error=error, summary={**waited, **(summary or {})}):
        db.session.rollback()
        db.session.refresh(ex)
        log.warning(
            "execution %s ended %s before its run finished (%s); its %s is dropped",
            execution_id,
            ex.status,
            ex.error,
            status,
        )
        return {"execution": execution_id, "outcome": ex.status, "error": ex.error}
    if ex.job_host is not None:
        if status == SUCCESS:
            ex.job_host.record_success(ex.finished_at)
        else:
            ex.job_host.record_failure(ex.finished_at)
        onu_history.olt_polled(ex, status == SUCCESS)
    olt_id, olt_name, duration_ms = ex.olt_id, ex.olt_name, ex.duration_ms  # before the commit
    db.session.commit()  # expires ex: what follows reads the values above, not the row again
    if status == SUCCESS and olt_id is not None and "present_total" in (summary or {}):
        gauges.note_present(get_redis(current_app.config["REDIS_URL"]), olt_id,
                            summary["present_total"])  # fmt: skip
    notify.enqueue_pending()
    if status != SUCCESS:
        schedule_retry(ex)
    log.info(
        "execution %s on OLT %s: %s in %s ms%s",
        execution_id,
        olt_name,
        status,
        duration_ms,
        f" ({error})" if error else "",
    )
    return {
        "execution": execution_id,
        "outcome": status,
        "error": None if error is None else str(error),
    }
