"""The base of every job type: its plan (database reads), its SNMP phase and its store.

The runner owns the lifecycle (lock, RUNNING, SUCCESS/FAILED, retries): a type raises a typed
SNMP error or a JobError for expected failures, and anything else is an internal error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.context import RunContext
    from webapp.models import Execution, Oid


class JobType:
    """One kind of job."""

    name = ""
    needs_oid = False

    def check(self, oid: Oid | None) -> str | None:
        """Why a job of this type cannot run with this OID (None: it can)."""
        if self.needs_oid and oid is None:
            return f"a {self.name} job needs an OID"
        return None

    def plan(self, ex: Execution, ctx: RunContext) -> Any:
        """Read what the run needs from the database (the session is closed afterwards)."""
        raise NotImplementedError

    def poll(self, ctx: RunContext, plan: Any) -> Any:
        """Ask the OLT (no database here); raise snmp.errors or JobError."""
        raise NotImplementedError

    def store(self, ctx: RunContext, plan: Any, result: Any) -> dict:
        """Write the results in the runner's transaction; return the execution summary."""
        raise NotImplementedError
