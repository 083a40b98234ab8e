"""Log lines that say which execution and OLT they are about.

A run sets a context variable; a filter on the worker pool's log handler adds
"[execution 12 · olt-name]" to every line logged meanwhile, whichever module logs it
(detection, the SNMP client, the store, RQ's own lines inside the job)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_RUN: ContextVar[list | None] = ContextVar("oltwatch_run", default=None)


@contextmanager
def run_tag(execution_id: int) -> Iterator[None]:
    """Tag every line logged inside with this execution (and its OLT, once known)."""
    token = _RUN.set([execution_id, None])
    try:
        yield
    finally:
        _RUN.reset(token)


def tag_olt(name: str | None) -> None:
    """Name the OLT of the run being tagged (no-op outside a run)."""
    run = _RUN.get()
    if run is not None:
        run[1] = name


def current_tag() -> str:
    run = _RUN.get()
    if run is None:
        return ""
    return f" [execution {run[0]} · {run[1]}]" if run[1] else f" [execution {run[0]}]"


class RunTagFilter(logging.Filter):
    """Adds ``record.run`` (the tag, or "") for a format with ``%(run)s``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run = current_tag()
        return True
