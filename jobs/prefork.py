"""What the pool's parent prepares once, before it forks its workers (issue 11).

Each pool worker is forked from the parent, runs its jobs itself, and is replaced by a fresh
fork when it is recycled (jobs.workers.OltWorker): what the parent builds (the job types'
modules, ~20 ms; each SQL statement of a run compiled, SQLAlchemy's compiled cache being
process memory, ~60 ms) every worker has from its first job on, shared copy-on-write.
(Before, a work-horse forked per job built both again on every run.)
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter

from flask import Flask

from webapp.extensions import db, read_only
from webapp.models.base import utcnow

log = logging.getLogger(__name__)

NO_ROW = 0  # an id no row has: the statements run, find nothing and change nothing


def prepare(app: Flask) -> None:
    """Import every job type and compile the runner's SQL, in the process that forks."""
    from jobs.types import MODULES

    for module in MODULES.values():
        importlib.import_module(module)
    with app.app_context():
        try:
            _compile_sql()
        except Exception as exc:  # the database may not be up yet: workers compile then
            log.warning("SQL not compiled before forking (each run compiles its own): %s", exc)
        finally:
            db.session.remove()
            db.engine.dispose()  # the workers open their own connections


def _compile_sql() -> None:
    """Run, on no row, the reads of a run (SQLAlchemy caches each statement's compiled form).

    The statements must have the shapes of a real run's (a value None compiles to IS NULL,
    another statement), hence ids and a profile key that are not None."""
    from history import alarms
    from jobs import notify, onu_history, runner
    from jobs.columns import Scope, olt_columns

    with read_only():
        for options in (runner.CHECKED, runner.PLANNED, runner.FINISHED):
            runner.load_execution(NO_ROW, options)
        olt_columns(Scope(NO_ROW, NO_ROW, None))
        session, now = db.session(), utcnow()
        rules = onu_history.run_rules(NO_ROW)
        alarms.rules_for(session, NO_ROW, "", onu_history.base_rules())
        alarms.watched_onus(session, NO_ROW)
        alarms.evaluate_poll(session, NO_ROW, now, rules, {}, [], Counter(), [])
        alarms.olt_answered(session, NO_ROW, True, 0, "", now, rules)
        alarms.queue_notifications(session, NO_ROW, now, rules)
        session.rollback()
    notify.pending_ids(notify.BATCH)
