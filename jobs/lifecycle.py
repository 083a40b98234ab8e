"""Moving an execution to its end exactly once, whoever decides it (runner, reaper, control).

Two deciders can race: a worker finishing a run and the reaper declaring that worker lost, or
a run finishing while a user cancels it. Each transition is a compare-and-set on the status,
so the first one wins, the other learns it lost and changes nothing (no result stored twice,
no second retry).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from jobs import metrics
from jobs.messages import columns
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow
from webapp.models.executions import RUNNING, TERMINAL


def finish_if(
    ex: Execution,
    status: str,
    *,
    expect: Iterable[str] = (RUNNING,),
    error: str | None = None,
    summary: dict | None = None,
) -> bool:
    """Set ``ex`` to the terminal ``status`` if it is still in ``expect``; True if it was.

    Runs in the caller's transaction (the caller commits); the instance is updated in place.
    """
    if status not in TERMINAL:
        raise ValueError(f"{status} is not a terminal status")
    now = utcnow()
    values: dict = {"status": status, "finished_at": now}
    if ex.started_at:
        values["duration_ms"] = int((now - ex.started_at).total_seconds() * 1000)
    values.update(columns(error))  # the text, and its code and parameters if it is a Message
    if summary is not None:
        values["summary"] = summary
    result = db.session.execute(
        update(Execution)
        .where(Execution.id == ex.id, Execution.status.in_(tuple(expect)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(ex, key, value)
    metrics.execution_ended(ex)  # sent when the caller commits (dropped on a rollback)
    return True
