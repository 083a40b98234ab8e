"""Configuration in three layers: defaults, then the environment, then a test mapping."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("OLTWATCH_INSTANCE", ROOT / "instance"))


class ConfigError(RuntimeError):
    """The configuration cannot start the application."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _flag(name: str, value: str, default: bool) -> bool:
    """A yes/no setting; anything else is an error (a typo must not turn Secure off)."""
    text = value.strip().lower()
    if not text:
        return default
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off, not {value!r}")


def _proxy_count(value) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ConfigError(
            f"PROXY_FIX is the number of proxies in front of the app (0 = none), not {value!r}"
        )
    return count


def _database_url(url: str) -> str:
    """Use psycopg 3 for plain PostgreSQL URLs (psycopg2 is not installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_redis_url() -> str | None:
    """Return the Redis URL that `make run` wrote for this checkout, if any."""
    path = INSTANCE / "redis.url"
    if path.exists():
        return path.read_text().strip() or None
    return None


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) readable by its owner only, if it does not exist."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)


def write_private(path: Path, text: str) -> None:
    """Write a new file readable by its owner only from its first byte (no chmod afterwards)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _secret_key(embedded: bool) -> str | None:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if embedded:
        make_private_dir(INSTANCE)
        key = secrets.token_hex(32)
        write_private(path, key)
        return key
    return None


DEFAULTS = {
    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE / 'oltwatch.db'}",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TIMEZONE": "America/Lima",
    "BABEL_DEFAULT_LOCALE": "en",
    "LANGUAGES": ("en", "es"),
    "QUEUE_NAME": "discovery_main",
    "JOB_TIMEOUT": 300,  # seconds an execution may run before RQ kills it
    # a worker runs its jobs itself (no work-horse per job) and is replaced by a fresh one
    # after this many jobs, or after a job that leaves it over this much memory of its own
    "WORKER_MAX_JOBS": 1000,  # 0: no limit
    "WORKER_MAX_MEMORY_MB": 128,  # 0: no limit
    "LOCK_TTL": 60,  # seconds an OLT lock lives without its execution's heartbeat
    "HEARTBEAT_SECONDS": 10,  # how often a running execution says it is alive
    "ALIVE_TTL": 30,  # no heartbeat for this long: the worker is lost
    "PENDING_GRACE": 60,  # seconds before the reaper checks a PENDING execution's RQ job
    "PENDING_MAX_AGE": 3600,  # a PENDING execution older than this is FAILED
    "RETENTION_DAYS": 90,  # executions older than this are deleted
    "HISTORY_RAW_DAYS": 7,  # ONU samples of every poll are kept this long
    "HISTORY_HOURLY_DAYS": 90,  # hourly min/avg/max this long
    "HISTORY_DAILY_DAYS": 730,  # daily min/avg/max this long
    # Alarm rules (defaults; staff change them per profile or OLT in Alarm rules)
    "ALARM_RX_WARNING": -27.0,  # ONU rx below this (dBm): warning
    "ALARM_RX_CRITICAL": -30.0,  # below this: critical
    "ALARM_RX_OVERLOAD": -8.0,  # above this: overload (warning)
    "ALARM_TX_LOW": 0.5,  # ONU tx outside LOW..HIGH (dBm): shown in colour
    "ALARM_TX_HIGH": 5.0,
    "ALARM_OFFLINE_MINUTES": 10,  # an ONU offline this long raises an alarm
    "ALARM_OLT_FAILED_POLLS": 3,  # an OLT that failed this many polls in a row
    "PON_OUTAGE_MIN": 4,  # ONUs (and half the PON's online ones) down at once: a PON outage
    "ALARM_EMAILS": (),  # who gets every alarm by e-mail (comma-separated in the environment)
    "ALARM_WEBHOOK_URL": None,  # where every alarm is POSTed as JSON
    "ALARM_WEBHOOK_SECRET": None,  # HMAC-SHA256 key of the X-Oltwatch-Signature header
    "SMTP_HOST": None,  # e-mail is off without it
    "SMTP_PORT": 25,
    "SMTP_STARTTLS": False,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": "oltwatch@localhost",
    "SMTP_CA_FILE": None,  # CA bundle that signs the SMTP server's certificate (default: system)
    "ABSENT_AFTER_MISSES": 2,  # complete walks without an ONU before it is marked absent
    "OLT_TIMEZONE": None,  # zone of OLT clocks for dates sent without one (default: TIMEZONE)
    "DEFAULT_POLL_INTERVAL": "15m",  # the poll job every new OLT gets
    "SCHEDULER_STALE_SECONDS": 60,  # /health: a scheduler silent for longer is down
    "METRICS_TOKEN": None,  # /metrics with "Authorization: Bearer <token>" (else staff login)
    "RQ_DASHBOARD_POLL_INTERVAL": 5000,
    "RESULT_TTL": 3600,
    "FAILURE_TTL": 7 * 86400,
    "LOGIN_MAX_FAILURES": 10,  # failed logins of one user from one address before a lockout
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,  # failed logins from one address, any usernames
    "LOGIN_LOCKOUT_SECONDS": 900,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,  # sent over HTTPS only; off in the embedded setup
    "PROXY_FIX": 0,  # proxies in front of the app whose X-Forwarded-For/-Proto are trusted
    "WTF_CSRF_TIME_LIMIT": None,
    # answers one SNMP walk may receive before it fails (a looping agent); = snmp.fast's default
    "SNMP_MAX_WALK_BYTES": 32 * 2**20,
    "API_RATE_LIMIT": "600 per minute",  # requests per API token (Flask-Limiter notation)
}


def from_environment() -> dict:
    """Read the settings that the environment overrides."""
    env = os.environ
    embedded = _bool(env.get("OLTWATCH_EMBEDDED"))
    cfg: dict = {"EMBEDDED": embedded}
    if env.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = _database_url(env["DATABASE_URL"])
    redis_url = env.get("REDIS_URL") or instance_redis_url()
    if redis_url:
        cfg["REDIS_URL"] = redis_url
    if env.get("TZ_NAME") or env.get("OLTWATCH_TZ"):
        cfg["TIMEZONE"] = env.get("OLTWATCH_TZ") or env["TZ_NAME"]
    for key in (
        "JOB_TIMEOUT",
        "WORKER_MAX_JOBS",
        "WORKER_MAX_MEMORY_MB",
        "LOCK_TTL",
        "HEARTBEAT_SECONDS",
        "ALIVE_TTL",
        "RETENTION_DAYS",
        "HISTORY_RAW_DAYS",
        "HISTORY_HOURLY_DAYS",
        "HISTORY_DAILY_DAYS",
        "ALARM_OFFLINE_MINUTES",
        "ALARM_OLT_FAILED_POLLS",
        "PON_OUTAGE_MIN",
        "SMTP_PORT",
        "ABSENT_AFTER_MISSES",
        "PENDING_GRACE",
        "PENDING_MAX_AGE",
        "SNMP_MAX_WALK_BYTES",
    ):
        if env.get(key):
            cfg[key] = int(env[key])
    if env.get("QUEUE_NAME"):
        cfg["QUEUE_NAME"] = _queue_name(env["QUEUE_NAME"])
    for key in ("OLT_TIMEZONE", "DEFAULT_POLL_INTERVAL"):
        if env.get(key):
            cfg[key] = env[key]
    for key in (
        "ALARM_RX_WARNING",
        "ALARM_RX_CRITICAL",
        "ALARM_RX_OVERLOAD",
        "ALARM_TX_LOW",
        "ALARM_TX_HIGH",
    ):
        if env.get(key):
            cfg[key] = float(env[key])
    for key in (
        "ALARM_WEBHOOK_URL",
        "ALARM_WEBHOOK_SECRET",
        "SMTP_HOST",
        "SMTP_USER",
        "SMTP_PASSWORD",
        "SMTP_FROM",
        "SMTP_CA_FILE",
    ):
        if env.get(key):
            cfg[key] = env[key]
    if env.get("ALARM_EMAILS"):
        cfg["ALARM_EMAILS"] = tuple(e.strip() for e in env["ALARM_EMAILS"].split(",") if e.strip())
    if env.get("SMTP_STARTTLS"):
        cfg["SMTP_STARTTLS"] = _flag("SMTP_STARTTLS", env["SMTP_STARTTLS"], False)
    if env.get("API_RATE_LIMIT"):
        cfg["API_RATE_LIMIT"] = _rate_limit(env["API_RATE_LIMIT"])
    if env.get("METRICS_TOKEN"):
        cfg["METRICS_TOKEN"] = env["METRICS_TOKEN"]
    # `make run` serves plain http on 127.0.0.1, where a Secure cookie would never come back
    cfg["SESSION_COOKIE_SECURE"] = _flag(
        "SESSION_COOKIE_SECURE", env.get("SESSION_COOKIE_SECURE", ""), not embedded
    )
    if env.get("PROXY_FIX"):
        cfg["PROXY_FIX"] = env["PROXY_FIX"]
    for key in ("LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_LOCKOUT_SECONDS"):
        if env.get(key):
            cfg[key] = int(env[key])
    if env.get("OLTWATCH_ENCRYPTION_KEY"):  # keys of the secrets at rest (webapp/crypto.py)
        cfg["ENCRYPTION_KEY"] = env["OLTWATCH_ENCRYPTION_KEY"]
    secret = _secret_key(embedded)
    if secret:
        cfg["SECRET_KEY"] = secret
    return cfg


def _rate_limit(value: str) -> str:
    """A Flask-Limiter limit such as "600 per minute" or "10/second;1000/hour"."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"API_RATE_LIMIT {value!r} is not valid: write it as 600 per minute or 10/second"
        ) from None
    return value


def _queue_name(value: str) -> str:
    """An RQ queue name: letters, digits, '.', '-' and '_' (it becomes part of Redis keys)."""
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,50}", value):
        raise ConfigError(
            f"QUEUE_NAME {value!r} is not valid: use 1 to 50 letters, digits, '.', '-' or '_'"
        )
    return value


def build_config(test_config: dict | None = None) -> dict:
    """Merge defaults, environment and the test mapping; fail on a missing secret."""
    cfg = dict(DEFAULTS)
    cfg.update(from_environment())
    if test_config:
        cfg.update(test_config)
    cfg["SQLALCHEMY_DATABASE_URI"] = _database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if not cfg.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set: export SECRET_KEY, or run `make run` once to create "
            f"{INSTANCE / 'secret_key'} for the embedded setup"
        )
    cfg["PROXY_FIX"] = _proxy_count(cfg["PROXY_FIX"])
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]  # (no remember-me cookie yet)
    _check_redis_url(cfg["REDIS_URL"])
    cfg["RQ_DASHBOARD_REDIS_URL"] = cfg["REDIS_URL"]
    return cfg


def _check_redis_url(url: str) -> None:
    """A Sentinel URL that cannot be parsed stops the start, not the first job (no secrets)."""
    from jobs.queues import SENTINEL_SCHEME, parse_sentinel_url

    if url.startswith(f"{SENTINEL_SCHEME}:"):
        try:
            parse_sentinel_url(url)
        except ValueError as exc:
            raise ConfigError(f"REDIS_URL: {exc}") from None
