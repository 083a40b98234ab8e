"""What the pool's parent prepares before it forks its workers (jobs/prefork.py)."""

from __future__ import annotations

import logging
import sys

from jobs import prefork
from jobs.types import MODULES
from tests import conftest
from webapp import create_app
from webapp.extensions import db


def test_prepare_imports_the_types_and_compiles_a_runs_sql(app):
    db.session.commit()  # SQLite: the test's transaction must not hold the write lock
    db.engine.clear_compiled_cache()
    prefork.prepare(app)
    assert all(module in sys.modules for module in MODULES.values())
    assert len(db.engine._compiled_cache) >= 10  # what the workers find compiled
    assert db.engine.pool.checkedout() == 0  # and no connection shared with them


def test_prepare_without_a_database_leaves_the_compiling_to_the_runs(
    database_url, redis_url, caplog
):
    config = conftest.test_config(database_url, redis_url)
    down = create_app({**config, "SQLALCHEMY_DATABASE_URI": "postgresql://x@127.0.0.1:1/none"})
    with caplog.at_level(logging.WARNING, logger="jobs.prefork"):
        prefork.prepare(down)
    assert "SQL not compiled before forking" in caplog.text
