"""Operations endpoints: /health (no login), /metrics (token or staff), rq-dashboard mount."""

from __future__ import annotations

import hmac
from datetime import UTC, timedelta

import rq_dashboard
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound

from jobs import ops
from jobs.locks import lock_holders
from jobs.queues import get_redis
from jobs.types import ENUMERATING
from webapp.admin.errors import error_response
from webapp.extensions import SQLITE_BUSY_TIMEOUT_MS, SQLITE_READER_WAIT_MS, db, read_only
from webapp.models import Alarm, Execution, Olt, Onu
from webapp.models.base import utcnow

bp = Blueprint("ops", __name__)


def _check(fn):
    try:
        return True, fn()
    except (RedisError, SQLAlchemyError) as exc:
        return False, str(exc).splitlines()[0]


HEALTH_DB_TIMEOUT_MS = SQLITE_READER_WAIT_MS  # /health answers within 2 s, even if locked


def _database_answers() -> int:
    """One read with a short wait (a locked database says so instead of hanging /health)."""
    with read_only():
        conn = db.session.connection()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {HEALTH_DB_TIMEOUT_MS}")
            try:
                return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {HEALTH_DB_TIMEOUT_MS}")
        return conn.execute(text("SELECT 1")).scalar()


@bp.route("/health")
def health():
    """Whether the database, Redis, workers and scheduler are alive: 200, else 503."""
    db_ok, db_info = _check(_database_answers)
    db.session.rollback()
    redis_ok, redis_info = _check(ops.redis_status)
    workers = ops.workers_status() if redis_ok else []
    tick = ops.scheduler_status() if redis_ok else {"age_s": None}
    stale = current_app.config["SCHEDULER_STALE_SECONDS"]
    scheduler_ok = tick["age_s"] is not None and tick["age_s"] <= stale
    body = {
        "database": {"ok": db_ok, **({} if db_ok else {"error": db_info})},
        "redis": {"ok": redis_ok, **(redis_info if redis_ok else {"error": redis_info})},
        "workers": {"ok": bool(workers), "count": len(workers)},
        "scheduler": {"ok": scheduler_ok, "last_tick_age_s": tick["age_s"]},
    }
    healthy = all(part["ok"] for part in body.values())
    return jsonify(status="ok" if healthy else "unavailable", **body), 200 if healthy else 503


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(token, given):
        return True
    return bool(current_user.is_authenticated and current_user.is_staff)


@bp.route("/metrics")
def metrics():
    """Prometheus metrics; needs `Authorization: Bearer <METRICS_TOKEN>` or a staff login."""
    if not _metrics_allowed():
        abort(401 if not current_user.is_authenticated else 403)
    return Response(generate_latest(_collect()), mimetype=CONTENT_TYPE_LATEST)


def _collect() -> CollectorRegistry:
    reg = CollectorRegistry()
    by = Gauge(
        "oltwatch_executions",
        "Executions by status and job type (last 24 h)",
        ["status", "job_type"],
        registry=reg,
    )
    since = utcnow() - timedelta(hours=24)
    for status, job_type, n in db.session.execute(
        select(Execution.status, Execution.job_type, func.count())
        .where(Execution.created_at >= since)
        .group_by(Execution.status, Execution.job_type)
    ):
        by.labels(status, job_type).set(n)
    _duration_histogram(reg, since)
    _inventory(reg)
    _alarms(reg)
    try:
        _queue_metrics(reg)
    except RedisError:
        Gauge("oltwatch_redis_up", "Redis reachable", registry=reg).set(0)
    return reg


def _duration_histogram(reg: CollectorRegistry, since) -> None:
    buckets = (1, 5, 15, 60, 300, float("inf"))
    g = Gauge(
        "oltwatch_execution_duration_seconds_bucket",
        "Finished executions (last 24 h) by duration bucket",
        ["le"],
        registry=reg,
    )
    durations = [
        d / 1000
        for d in db.session.scalars(
            select(Execution.duration_ms).where(
                Execution.created_at >= since, Execution.duration_ms.is_not(None)
            )
        )
    ]
    for b in buckets:
        g.labels("+Inf" if b == float("inf") else str(b)).set(sum(1 for d in durations if d <= b))


def _alarms(reg: CollectorRegistry) -> None:
    active = Gauge(
        "oltwatch_alarms_active", "Active alarms by severity and kind", ["severity", "kind"],
        registry=reg,
    )  # fmt: skip
    for severity in ("critical", "major", "warning"):
        active.labels(severity, "any").set(0)
    rows = db.session.execute(
        select(Alarm.severity, Alarm.kind, func.count())
        .where(Alarm.status == "active")
        .group_by(Alarm.severity, Alarm.kind)
    ).all()
    totals: dict[str, int] = {}
    for severity, kind, n in rows:
        active.labels(severity, kind).set(n)
        totals[severity] = totals.get(severity, 0) + n
    for severity, n in totals.items():
        active.labels(severity, "any").set(n)


def _inventory(reg: CollectorRegistry) -> None:
    present = Gauge("oltwatch_onus_present", "ONUs present per OLT", ["olt"], registry=reg)
    for name, n in db.session.execute(
        select(Olt.name, func.count(Onu.id))
        .join(Onu, Onu.olt_id == Olt.id)
        .where(Onu.present.is_(True))
        .group_by(Olt.name)
    ):
        present.labels(name).set(n)
    last = Gauge(
        "oltwatch_last_discovery_success_timestamp_seconds",
        "Last successful read of the OLT's ONU list (a poll or a discovery job) per OLT",
        ["olt"],
        registry=reg,
    )
    for name, when in db.session.execute(
        select(Execution.olt_name, func.max(Execution.finished_at))
        .where(Execution.status == "SUCCESS", Execution.job_type.in_(ENUMERATING))
        .group_by(Execution.olt_name)
    ):
        if when is not None:
            last.labels(name).set(
                when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
            )


def _queue_metrics(reg: CollectorRegistry) -> None:
    Gauge("oltwatch_redis_up", "Redis reachable", registry=reg).set(1)
    depth = Gauge("oltwatch_queue_depth", "Jobs waiting per queue", ["queue"], registry=reg)
    for name, q in ops.queues_status().items():
        depth.labels(name).set(q["queued"])
    workers = ops.workers_status()
    Gauge("oltwatch_workers", "RQ workers", registry=reg).set(len(workers))
    Gauge("oltwatch_locks_held", "OLT locks held", registry=reg).set(
        len(lock_holders(get_redis(current_app.config["REDIS_URL"])))
    )


# rq-dashboard 0.9.0's views that change RQ's state; requeue_all also answers GET there.
RQ_STATE_CHANGES = {
    "rq_dashboard.delete_job_view",
    "rq_dashboard.requeue_job_view",
    "rq_dashboard.requeue_all",
    "rq_dashboard.empty_queue",
    "rq_dashboard.compact_queue",
}
RQ_REGISTRIES = {"queued", "scheduled", "deferred", "started", "finished", "failed", "canceled"}


def _positive(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= 100_000


def _check_rq_request() -> None:
    """Refuse what rq-dashboard would answer with a 500: a missing instance or registry, a
    page or page size that is not a positive number (its views trust their URL)."""
    args = request.view_args or {}
    instances = current_app.config["RQ_DASHBOARD_REDIS_URL"]
    if args.get("instance_number", 0) >= len(instances):
        abort(404)
    if "registry_name" in args and args["registry_name"] not in RQ_REGISTRIES:
        abort(404)
    for key in ("per_page", "page"):
        if key in args and not _positive(args[key]):
            abort(404)


def init_ops(app: Flask) -> None:
    """Register /health, /metrics and rq-dashboard under /admin/rq/ (staff only, CSRF)."""
    app.register_blueprint(bp)
    # rq-dashboard 0.9.0 builds a client per request with Redis-Sentinel-Url's connect();
    # ours instead: one client per process, our timeouts, and every REDIS_URL form we accept.
    rq_dashboard.web.from_url = lambda url, **_passwords: (None, get_redis(url))
    rq_dashboard.web.setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/admin/rq")
    app.register_error_handler(NoSuchJobError, lambda _e: error_response(NotFound()))

    @app.before_request
    def guard_rq_dashboard():
        if request.blueprint != "rq_dashboard":
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not (current_user.is_active and current_user.is_staff):
            abort(403)
        if request.endpoint in RQ_STATE_CHANGES and request.method != "POST":
            abort(405, valid_methods=["POST"])  # a GET carries no CSRF token
        _check_rq_request()
        return None

    @app.after_request
    def rq_dashboard_csrf_cookie(response):
        # rq-dashboard's own scripts send this cookie back as X-CSRFToken on their POSTs.
        if request.blueprint == "rq_dashboard" and current_user.is_authenticated:
            secure = current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure
            response.set_cookie("_csrf_token", generate_csrf(), samesite="Strict", secure=secure)
        return response
