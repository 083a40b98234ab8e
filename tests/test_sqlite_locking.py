"""SQLite: only transactions that may write take the write lock; /health never hangs on it.

Another process's writer is played by a second sqlite3 connection to the same file that
holds the write lock (BEGIN IMMEDIATE and an uncommitted write), as a worker storing a big
poll does.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import event

from tests.conftest import login
from tests.factories import make_olt, make_user
from webapp.extensions import db


@pytest.fixture
def sqlite_file(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock only")
    return db.engine.url.database


def _writer(path: str, exclusive: bool = False) -> sqlite3.Connection:
    """A connection holding SQLite's write lock (in exclusive locking mode: readers too)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    if exclusive:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE olts SET description = 'held' WHERE 1 = 1")
    return conn


def _begins() -> list[str]:
    """The BEGIN statements the app's engine issues from now on."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    return seen


def test_reads_do_not_wait_for_a_writer_and_writes_still_take_the_lock(app, client, sqlite_file):
    make_olt(None, "olt-1")
    make_user("noc")
    login(client, "noc")
    db.session.commit()
    begins = _begins()
    writer = _writer(sqlite_file)
    try:
        started = time.monotonic()
        health = client.get("/health")
        page = client.get("/admin/olt/")
        took = time.monotonic() - started
        assert health.get_json()["database"] == {"ok": True}
        assert page.status_code == 200 and "olt-1" in page.text
        assert took < 2, took  # with BEGIN IMMEDIATE both waited for the writer (30 s)
        assert begins and set(begins) == {"BEGIN"}  # GET requests begin deferred

        # a POST that writes waits for the lock, then succeeds
        begins.clear()
        result = {}

        def post():
            with app.app_context(), app.test_client() as other:
                login(other, "noc")
                result["status"] = other.get("/admin/").status_code

        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(1)
        assert thread.is_alive()  # the login's write is waiting for the lock
        writer.execute("ROLLBACK")
        thread.join(10)
        assert result == {"status": 200}
        assert "BEGIN IMMEDIATE" in begins
    finally:
        writer.close()


def test_health_says_the_database_is_locked_within_two_seconds(app, client, sqlite_file):
    db.session.remove()
    db.engine.dispose()  # exclusive locking needs the file to itself when it starts
    writer = _writer(sqlite_file, exclusive=True)  # no reader gets in either
    try:
        started = time.monotonic()
        r = client.get("/health")
        took = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    body = r.get_json()
    assert r.status_code == 503 and body["database"]["ok"] is False
    assert "locked" in body["database"]["error"]
    assert took < 2, took
    assert client.get("/health").get_json()["database"] == {"ok": True}  # free again


def test_read_only_commands_take_no_write_lock(app, runner, sqlite_file):
    make_olt(None, "olt-1")
    db.session.commit()
    writer = _writer(sqlite_file)
    try:
        for args in (["olts", "list", "--json"], ["jobs", "list"], ["recent"]):
            started = time.monotonic()
            result = runner.invoke(args=args)
            assert result.exit_code == 0, (args, result.output)
            assert time.monotonic() - started < 2, args
    finally:
        writer.execute("ROLLBACK")
        writer.close()
