"""What the worker process prepares once, so that each forked work-horse need not (issue 11).

RQ runs every execution in a work-horse forked from the worker: whatever the horse builds
(an imported module, a compiled SQL statement) is built again by the next one, and dies with
it. A poll's horse imported the poll's modules (~20 ms) and compiled each of its SQL
statements (SQLAlchemy's compiled cache lives in the engine, in process memory: ~60 ms of a
256-ONU poll's ~180 ms) on every run. Done here, before the fork, the horses share the result.
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
        except Exception as exc:  # the database may not be up yet: horses compile then
            log.warning("SQL not compiled before forking (each run compiles its own): %s", exc)
        finally:
            db.session.remove()
            db.engine.dispose()  # the horses open their own connections


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
