"""What a run knows before it polls: copied out of the database, so no transaction stays open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from jobs.columns import Scope
from snmp.client import Target


@dataclass(frozen=True)
class RunContext:
    """The execution, its OLT and how to reach it (the job type adds its own plan)."""

    execution_id: int
    job_type: str
    olt_id: int
    olt_name: str
    address: str
    scope: Scope
    target: Target
    options: dict = field(default_factory=dict)
    absent_after: int = 2  # complete walks without an ONU before it is absent
    olt_tz: tzinfo | None = None  # zone of OLT clocks that send dates without one
    # Raises jobs.locks.LockLost once the OLT's lock is no longer this run's: job types call
    # it between SNMP requests, so a run that lost its lock stops instead of overlapping.
    check: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)

    @property
    def profile_key(self) -> str | None:
        return self.scope.profile_key
