"""The worker entry point: run one execution under the OLT's lock, with a visible lifecycle."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from time import monotonic

from flask import Flask, current_app, has_app_context
from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import select, update

from jobs import errors
from jobs.dispatch import enqueue_later
from jobs.formulas import resolve_formula
from jobs.locks import Heartbeat, olt_lock, release_quietly
from jobs.poll import poll
from jobs.queues import get_redis
from jobs.retry import schedule_retry
from snmp.client import Target
from snmp.errors import SnmpError
from snmp.indexes import IndexFormula as FormulaSpec
from snmp.values import ValueRule
from webapp.extensions import db
from webapp.models import Execution, Onu
from webapp.models.base import utcnow
from webapp.models.executions import FAILED, INTERRUPTED, PENDING, RUNNING, SUCCESS

log = logging.getLogger(__name__)
_app: Flask | None = None
_app_pid: int | None = None


@dataclass(frozen=True)
class RunContext:
    """What a run needs, copied out of the database so no transaction stays open during SNMP."""

    execution_id: int
    job_type: str
    olt_id: int
    olt_name: str
    address: str
    brand_id: int | None
    model_id: int | None
    profile_key: str | None
    oid: str
    oid_name: str
    oid_kind: str
    keep_previous: bool
    render_hex: bool
    target: Target
    options: dict = field(default_factory=dict)
    targets: tuple[str, ...] = ()  # raw indexes of the present ONUs (get jobs)
    walk_per_pon: bool = False
    formula: tuple[str, FormulaSpec] | None = None  # (name, spec) chosen for the OLT
    rule: ValueRule = field(default_factory=ValueRule)
    index_suffix: str = ""


def preload_app() -> Flask:
    """Build the worker's Flask app once, in the worker process, before jobs are forked."""
    global _app, _app_pid
    if _app is None:
        from webapp import create_app

        _app, _app_pid = create_app(), os.getpid()
    return _app


def _get_app() -> Flask:
    global _app_pid
    if has_app_context():
        return current_app._get_current_object()
    app = preload_app()
    if _app_pid != os.getpid():
        # A forked work-horse must not reuse the parent's database connections.
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
    """Run one execution (the RQ job); returns a small dict for RQ's result."""
    with _get_app().app_context():
        try:
            return _run(execution_id, lock_try)
        except JobTimeoutException:
            _fail_quietly(execution_id, f"timed out after {current_app.config['JOB_TIMEOUT']} s")
            raise
        except Exception as exc:
            log.exception("execution %s: internal error", execution_id)
            _fail_quietly(execution_id, f"internal error: {type(exc).__name__}: {exc}")
            raise
        finally:
            db.session.remove()


def _fail_quietly(execution_id: int, error: str) -> None:
    """Mark an execution that is still PENDING or RUNNING as FAILED (best effort)."""
    try:
        db.session.rollback()
        now = utcnow()
        db.session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.status.in_((PENDING, RUNNING)))
            .values(status=FAILED, error=error, finished_at=now)
        )
        db.session.commit()
    except Exception:
        log.exception("execution %s: could not record the failure %r", execution_id, error)


def _run(execution_id: int, lock_try: int) -> dict:
    ex = db.session.get(Execution, execution_id)
    if ex is None:
        log.warning("execution %s does not exist; nothing to run", execution_id)
        return {"execution": execution_id, "outcome": "missing"}
    if ex.status != PENDING:
        log.info("execution %s is %s, not PENDING; not running it", ex.id, ex.status)
        return {"execution": ex.id, "outcome": f"skipped ({ex.status})"}
    reason = errors.disabled_reason(ex)
    if reason:
        ex.finish(INTERRUPTED, error=reason)
        db.session.commit()
        log.info("execution %s interrupted: %s", ex.id, reason)
        return {"execution": ex.id, "outcome": INTERRUPTED}
    cfg = current_app.config
    redis = get_redis(cfg["REDIS_URL"])
    lock = olt_lock(redis, ex.olt_id, cfg["LOCK_TTL"])
    me = worker_name()
    if not lock.acquire(token=f"{ex.id}|{me}|{utcnow().isoformat()}"):
        return _retry_later(ex, lock_try, redis)
    olt_id = ex.olt_id
    try:
        with Heartbeat(redis, execution_id, lock, me, cfg["HEARTBEAT_SECONDS"], cfg["ALIVE_TTL"]):
            if not _mark_running(execution_id, me):
                return {"execution": execution_id, "outcome": "skipped (no longer PENDING)"}
            ctx = _context(db.session.get(Execution, execution_id))
            db.session.close()  # no transaction stays open while the OLT is polled
            return _perform(ctx)
    finally:
        release_quietly(lock, olt_id, execution_id)


def _mark_running(execution_id: int, worker: str) -> bool:
    """PENDING -> RUNNING by compare-and-set, committed at once so it is visible."""
    result = db.session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == PENDING)
        .values(status=RUNNING, started_at=utcnow(), worker_name=worker)
    )
    db.session.commit()
    return result.rowcount == 1


def _retry_later(ex: Execution, lock_try: int, redis) -> dict:
    """The OLT is busy: stay PENDING and try again shortly, up to the limit."""
    cfg = current_app.config
    holder = (redis.get(f"lock:snmp:olt:{ex.olt_id}") or b"").decode(errors="replace")
    holder_id = holder.split("|", 1)[0] if holder else "?"
    if lock_try >= cfg["LOCK_RETRY_LIMIT"]:
        waited = cfg["LOCK_RETRY_LIMIT"] * cfg["LOCK_RETRY_DELAY"]
        ex.finish(
            FAILED,
            error=f"OLT {ex.olt_name} busy: execution {holder_id} held its lock "
            f"for more than {waited} s",
        )
        db.session.commit()
        return {"execution": ex.id, "outcome": FAILED}
    ex.rq_job_id = enqueue_later(
        ex, cfg["LOCK_RETRY_DELAY"], lock_try + 1, note=", waiting for lock"
    )
    ex.summary = {"lock_waits": lock_try + 1, "lock_held_by_execution": holder_id}
    db.session.commit()
    log.info(
        "execution %s: OLT %s busy (held by execution %s); retry %d in %s s",
        ex.id,
        ex.olt_name,
        holder_id,
        lock_try + 1,
        cfg["LOCK_RETRY_DELAY"],
    )
    return {"execution": ex.id, "outcome": "waiting for lock"}


def _context(ex: Execution) -> RunContext:
    olt, oid = ex.olt, ex.job.oid
    target = Target(
        host=olt.host,
        port=olt.snmp_port,
        version=olt.snmp_version,
        community=olt.community,
        v3_user=olt.v3_user,
        v3_auth_key=olt.v3_auth_key,
        v3_priv_key=olt.v3_priv_key,
        v3_auth_proto=olt.v3_auth_proto,
        v3_priv_proto=olt.v3_priv_proto,
        v3_context=olt.v3_context or "",
        timeout=olt.timeout,
        retries=olt.retries,
        max_repetitions=(ex.job.options or {}).get("max_repetitions") or olt.max_repetitions or 25,
    )
    profile_key = _profile_key(olt)
    return RunContext(
        execution_id=ex.id,
        job_type=ex.job.job_type,
        olt_id=olt.id,
        olt_name=olt.name,
        address=olt.address,
        brand_id=olt.brand_id,
        model_id=olt.model_id,
        profile_key=profile_key,
        oid=oid.oid,
        oid_name=oid.name,
        oid_kind=oid.kind,
        keep_previous=oid.keep_previous,
        render_hex=oid.render_hex,
        target=target,
        options=dict(ex.job.options or {}),
        targets=_present_onus(olt.id) if ex.job.job_type == "get" else (),
        walk_per_pon=_walks_per_pon(profile_key),
        formula=resolve_formula(olt.brand_id, olt.model_id),
        rule=oid.rule(),
        index_suffix=oid.index_suffix or "",
    )


def _profile_key(olt) -> str | None:
    """The built-in profile of the OLT's model, else of its brand."""
    if olt.model is not None and olt.model.profile_key:
        return olt.model.profile_key
    return olt.brand.profile_key if olt.brand else None


def _present_onus(olt_id: int) -> tuple[str, ...]:
    rows = db.session.scalars(
        select(Onu.raw_index).where(Onu.olt_id == olt_id, Onu.present.is_(True))
    )
    return tuple(rows)


def _walks_per_pon(profile_key: str | None) -> bool:
    """Whether the brand's profile asks for discovery walks PON by PON."""
    from snmp.profiles import PROFILES

    profile = PROFILES.get(profile_key or "")
    return bool(getattr(profile, "walk_per_pon", False))


def _perform(ctx: RunContext) -> dict:
    """Poll the OLT, store the results and finish the execution."""
    from jobs.collect import store_get
    from jobs.discovery import store_discovery

    started = monotonic()
    try:
        result = poll(ctx)
        snmp_s = monotonic() - started
        store = store_discovery if ctx.job_type == "discovery" else store_get
        db_started = monotonic()
        summary = store(ctx, result)
        summary.update(snmp_s=round(snmp_s, 3), db_s=round(monotonic() - db_started, 3))
        return _finish(ctx, SUCCESS, summary=summary)
    except SnmpError as exc:
        return _finish(ctx, FAILED, error=errors.describe_snmp_error(ctx, exc))
    except JobTimeoutException:
        timeout = current_app.config["JOB_TIMEOUT"]
        return _finish(ctx, FAILED, error=f"timed out after {timeout} s (job timeout)")
    except Exception as exc:
        log.exception("execution %s on OLT %s: internal error", ctx.execution_id, ctx.olt_name)
        return _finish(ctx, FAILED, error=f"internal error: {type(exc).__name__}: {exc}")


def _finish(ctx: RunContext, status: str, error: str | None = None, summary=None) -> dict:
    """Write the terminal status and the job host's counters (with the results, if any)."""
    if status != SUCCESS:
        db.session.rollback()  # nothing half-stored survives a failure
    ex = db.session.get(Execution, ctx.execution_id)
    waited = {k: v for k, v in (ex.summary or {}).items() if k.startswith("lock_")}
    ex.finish(status, error=error, summary={**waited, **(summary or {})})
    if ex.job_host is not None:
        if status == SUCCESS:
            ex.job_host.record_success(ex.finished_at)
        else:
            ex.job_host.record_failure(ex.finished_at)
    db.session.commit()
    if status == FAILED:
        schedule_retry(ex)
    log.info(
        "execution %s on OLT %s: %s in %s ms%s",
        ex.id,
        ctx.olt_name,
        status,
        ex.duration_ms,
        f" ({error})" if error else "",
    )
    return {"execution": ex.id, "outcome": status, "error": error}
