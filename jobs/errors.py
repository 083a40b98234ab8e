"""Human explanations for why an execution cannot run or failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpMalformed,
    SnmpNoSuchOid,
    SnmpTimeout,
    SnmpTooMuchData,
    SnmpUnreachable,
    SnmpV3SettingsError,
)

if TYPE_CHECKING:
    from jobs.context import RunContext
    from webapp.models import Execution


class JobError(Exception):
    """An expected failure of a job (not an SNMP error): its message is the execution's error."""


def disabled_reason(ex: Execution) -> str | None:
    """Say why an execution must not run any more (deleted or disabled parts), or None."""
    if ex.job is None:
        return f"job {ex.job_name} was deleted"
    if ex.olt is None:
        return f"OLT {ex.olt_name} was deleted"
    if not ex.job.enabled:
        return f"job {ex.job.name} disabled"
    if not ex.olt.enabled:
        return f"OLT {ex.olt.name} disabled"
    if ex.job_host is None or not ex.job_host.enabled:
        return f"OLT {ex.olt.name} disabled for job {ex.job.name}"
    from jobs.types import get_type

    try:
        problem = get_type(ex.job.job_type).check(ex.job.oid)
    except KeyError as exc:
        return str(exc.args[0])
    if problem:
        return f"job {ex.job.name}: {problem}"
    return None


ERROR_KINDS = {
    cls.kind: cls
    for cls in (
        SnmpTimeout,
        SnmpAuthError,
        SnmpUnreachable,
        SnmpNoSuchOid,
        SnmpMalformed,
        SnmpTooMuchData,
        SnmpV3SettingsError,
    )
}


def error_of_kind(kind: str | None, message: str) -> SnmpError:
    """The typed SNMP error a stored kind ("timeout", "auth"…) stands for."""
    return ERROR_KINDS.get(kind or "", SnmpError)(message)


def describe_snmp_error(ctx: RunContext, exc: SnmpError) -> str:
    """Turn a typed SNMP error into one precise sentence naming the OLT and its address."""
    who = f"OLT {ctx.olt_name} ({ctx.address})"
    t = ctx.target
    if isinstance(exc, SnmpTimeout):
        waited = t.timeout * (t.retries + 1)
        creds = "SNMPv3 user" if t.version == "3" else "SNMP community"
        return (
            f"{who} did not answer within {waited:g} s ({t.retries + 1} tries of {t.timeout:g} s): "
            f"it is down or unreachable, or the {creds} is wrong "
            "(agents ignore requests with a wrong community)"
        )
    if isinstance(exc, SnmpV3SettingsError):
        return f"{who}: its SNMPv3 settings cannot be used: {exc}"
    if isinstance(exc, SnmpTooMuchData):
        detail = getattr(exc, "detail", "") or str(exc)
        return f"{who} {detail} (limit: SNMP_MAX_WALK_BYTES)"
    if isinstance(exc, SnmpAuthError):
        return f"{who} refused the SNMPv3 credentials: {exc}"
    if isinstance(exc, SnmpUnreachable):
        return f"{who} is unreachable: {exc}"
    if isinstance(exc, SnmpNoSuchOid):
        return f"{who}: not supported: {exc}"
    if isinstance(exc, SnmpMalformed):
        return f"{who} sent a malformed response: {exc}"
    return f"SNMP error from {who}: {exc}"
