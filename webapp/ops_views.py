"""Operations endpoints: /health (no login), /metrics (token or staff), rq-dashboard mount."""

from __future__ import annotations

import hmac

import rq_dashboard
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    request,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound

from jobs import gauges, ops
from jobs.queues import get_redis
from webapp.admin.errors import error_response
from webapp.extensions import SQLITE_BUSY_TIMEOUT_MS, SQLITE_READER_WAIT_MS, db, read_only

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
    workers = gauges.live_workers(get_redis(current_app.config["REDIS_URL"])) if redis_ok else 0
    tick = ops.scheduler_status() if redis_ok else {"age_s": None}
    stale = current_app.config["SCHEDULER_STALE_SECONDS"]
    scheduler_ok = tick["age_s"] is not None and tick["age_s"] <= stale
    body = {
        "database": {"ok": db_ok, **({} if db_ok else {"error": db_info})},
        "redis": {"ok": redis_ok, **(redis_info if redis_ok else {"error": redis_info})},
        "workers": {"ok": bool(workers), "count": workers},
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
    registry = CollectorRegistry()  # per request: the collectors read the state now
    registry.register(gauges.StateGauges(get_redis(current_app.config["REDIS_URL"])))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


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
    from webapp.auth import staff_only

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
        page = staff_only()
        if page is not None:
            return page
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
