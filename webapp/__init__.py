"""The web side of oltwatch: create_app() builds a configured Flask application."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import INSTANCE, ROOT, build_config, make_private_dir
from webapp.extensions import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_READER_WAIT_MS,
    babel,
    csrf,
    db,
    login_manager,
    migrate,
    reads_only,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, extensions, admin, login, CLI."""
    app = Flask(__name__, instance_path=str(INSTANCE), instance_relative_config=False)
    app.config.update(build_config(test_config))
    app.jinja_env.undefined = _strict_undefined()
    if app.config["PROXY_FIX"]:
        # Trust X-Forwarded-For (the client's address: login throttling, logs) and
        # X-Forwarded-Proto (https: Secure cookies) from that many proxies, no more.
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Babel converts every date and time it formats to the configured zone
    babel.init_app(
        app, locale_selector=_select_locale, timezone_selector=lambda: app.config["TIMEZONE"]
    )
    with app.app_context():
        _tune_sqlite(db.engine)

    from jobs.messages import execution_error
    from webapp import auth, cli
    from webapp.admin import init_admin
    from webapp.admin.base import local_time
    from webapp.api import init_api
    from webapp.ops_views import init_ops

    app.register_blueprint(auth.bp)
    app.jinja_env.globals["local_time"] = local_time
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["lang_url"] = _lang_url
    app.jinja_env.globals["execution_error"] = execution_error  # in the reader's language
    init_admin(app)
    init_ops(app)
    init_api(app)
    cli.register(app)

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

    @app.after_request
    def security_headers(response):
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.before_request
    def remember_language():
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
        g.timezone = app.config["TIMEZONE"]

    return app


# No page may be framed (clickjacking) and no response is sniffed into another type. The
# policy sets no script-src: Flask-Admin and rq-dashboard pages run inline scripts.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _strict_undefined():
    from jinja2 import StrictUndefined

    return StrictUndefined


def _lang_url(code: str) -> str:
    """This page in another language: the same path and query, with lang=code."""
    from urllib.parse import urlencode

    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # a command a person reads speaks the CLI's language (OLTWATCH_LANG, LANG…);
        # workers, the scheduler and everything else outside a request keep the default
        from webapp.cli_i18n import selected_cli_language

        return selected_cli_language() or current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or languages[0]


def _create_private(path: str | None) -> None:
    """Create a new SQLite file (and its folder) readable by its owner only; SQLite gives
    its -wal and -shm files the same permissions. An existing file is left as it is."""
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    folder = Path(path).parent
    make_private_dir(folder)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _tune_sqlite(engine) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE so 20 worker processes can write safely.

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" when another writer committed meanwhile (the busy timeout does not
    apply to that upgrade), so a transaction that may write takes the write lock when it
    begins. Those that only read (GET requests, read_only() blocks) begin deferred: in WAL
    mode they never wait for a writer.
    """
    if engine.dialect.name != "sqlite":
        return
    _create_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # journal_mode reads the file: a reader (a GET, /health) does not wait 30 s for it
        # when another connection holds the file exclusively
        wait = SQLITE_READER_WAIT_MS if reads_only() else SQLITE_BUSY_TIMEOUT_MS
        cur.execute(f"PRAGMA busy_timeout = {wait}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN" if reads_only() else "BEGIN IMMEDIATE")
