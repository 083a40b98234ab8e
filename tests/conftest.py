"""Fixtures: a real redis-server, a real snmpsim lab, SQLite and (when set) PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from snmp.lab.agent import LabAgent
from webapp import create_app
from webapp.devstack import free_tcp_port, start_redis, stop_process
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-42"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# `make test` runs two halves at once when PostgreSQL is there (the suite waits on agents,
# workers and timeouts more than it computes): OLTWATCH_TEST_BACKEND=sqlite runs everything
# on SQLite, =postgresql only the tests that take a database, on PostgreSQL.
ONLY_BACKEND = os.environ.get("OLTWATCH_TEST_BACKEND")
if ONLY_BACKEND:
    BACKENDS = [b for b in BACKENDS if b == ONLY_BACKEND]


def pytest_collection_modifyitems(config, items):
    """In the PostgreSQL half, leave out what does not take a database (the other half runs it)."""
    if ONLY_BACKEND != "postgresql":
        return
    kept = [i for i in items if "database_url" in getattr(i, "fixturenames", ())]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


# The command line speaks the language of its environment (OLTWATCH_LANG, LANGUAGE, LC_ALL,
# LC_MESSAGES, LANG): tests read its English whatever the machine's locale, in this process
# (Click's runner) and in the manage_cli.py processes they start (worker_env copies this).
# tests/test_cli_i18n.py sets other languages for its own commands.
os.environ["OLTWATCH_LANG"] = "en"

# Simulated OLTs served by the session's lab: community -> (profile, ONUs)
LAB = {"huawei-a": ("huawei", 40), "zte-a": ("zte", 30), "huawei-big": ("huawei", 1200)}


def _compile_translations() -> None:
    """Compile the catalogs the way `make` does, so a catalog pybabel skips fails here too.

    Under a lock: `make test` runs the SQLite and PostgreSQL halves at once, and one half's
    removing the catalogs between the other's compiling and checking them failed the other."""
    import fcntl
    import subprocess
    import sys

    folder = ROOT / "webapp" / "translations"
    with open(folder / ".compile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # (released when the file closes)
        for mo in folder.glob("*/LC_MESSAGES/messages.mo"):
            mo.unlink()
        pybabel = Path(sys.executable).parent / "pybabel"
        subprocess.run([str(pybabel), "-q", "compile", "-d", str(folder)], check=True)
        for po in folder.glob("*/LC_MESSAGES/messages.po"):
            assert po.with_suffix(".mo").exists(), f"pybabel did not compile {po}"


@pytest.fixture(scope="session", autouse=True)
def translations():
    _compile_translations()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port, for the whole session."""
    port = free_tcp_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port)
    yield f"redis://127.0.0.1:{port}/0"
    stop_process(proc, "redis-server", grace=10)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """snmpsim serving Huawei- and ZTE-shaped OLTs on 127.0.0.1."""
    agent = LabAgent(tmp_path_factory.mktemp("lab"))
    for community, (profile, onus) in LAB.items():
        agent.add_olt(community, profile, onus, seed=7)
    with agent:
        yield agent


RECORDINGS = ROOT / "tests" / "recordings"


@pytest.fixture(scope="session")
def recordings(tmp_path_factory):
    """snmpsim serving the hand-written recordings (community = the file's stem)."""
    agent = LabAgent(tmp_path_factory.mktemp("recordings"))
    for path in sorted(RECORDINGS.glob("*.snmprec")):
        agent.add_recording(path.stem, path)
    with agent:
        yield agent


def _postgres_database(base_url: str):
    """Create a throw-away database next to TEST_DATABASE_URL's; yield its URL; drop it."""
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"oltwatch_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url
    else:
        gen = _postgres_database(os.environ["TEST_DATABASE_URL"])
        url = next(gen)
        _migrate(url)
        yield url
        gen.close()


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


def test_config(database_url: str, redis_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "JOB_TIMEOUT": 60,
        "LOGIN_MAX_FAILURES": 5,
    }


class FreshGlobalsClient(FlaskClient):
    """A test client whose requests do not inherit `g` from the test's own app context.

    Tests hold an app context (for db.session), and Flask reuses it for the client's
    requests, so per-request caches in `g` (the logged-in user, the locale) would leak
    from one request to the next.
    """

    def open(self, *args, **kwargs):
        for key in list(vars(g)):
            delattr(g, key)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, redis_url):
    """A fresh app on an emptied database and an emptied Redis."""
    app = create_app(test_config(database_url, redis_url))
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        from jobs.queues import get_redis

        get_redis(redis_url).flushdb()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )


def worker_env(database_url: str, redis_url: str) -> dict:
    """Environment for real worker processes that must see the test database and Redis."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="test-secret",
        JOB_TIMEOUT="60",
    )
    env.pop("OLTWATCH_EMBEDDED", None)
    return env


def run_subprocess(cmd: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
