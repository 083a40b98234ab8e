"""Human explanations for why an execution cannot run or failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.messages import Message
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
    """An expected failure of a job (not an SNMP error): its message is the execution's error.

    Raised with a Message (or with ``code`` and ``params``), the execution stores its code
    too, and pages render it in the reader's language; a plain text is stored as it is.
    """

    def __init__(self, message: str, *, code: str | None = None, params: dict | None = None):
        if code is not None:
            message = Message(code, **(params or {}))
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str | None:
        return self.message.code if isinstance(self.message, Message) else None

    @property
    def params(self) -> dict | None:
        return self.message.params if isinstance(self.message, Message) else None


def disabled_reason(ex: Execution) -> Message | None:
    """Say why an execution must not run any more (deleted or disabled parts), or None."""
    if ex.job is None:
        return Message("job_deleted", job=ex.job_name)
    if ex.olt is None:
        return Message("olt_deleted", olt=ex.olt_name)
    if not ex.job.enabled:
        return Message("job_disabled", job=ex.job.name)
    if not ex.olt.enabled:
        return Message("olt_disabled", olt=ex.olt.name)
    if ex.job_host is None or not ex.job_host.enabled:
        return Message("olt_disabled_for_job", olt=ex.olt.name, job=ex.job.name)
    from jobs.types import NAMES, get_type

    try:
        problem = get_type(ex.job.job_type).check(ex.job.oid)
    except KeyError:
        return Message("job_type_unknown", job_type=repr(ex.job.job_type), known=", ".join(NAMES))
    if problem:
        return Message("job_invalid", job=ex.job.name, problem=problem)
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


# The message code of each kind of SNMP error, most specific first (SnmpTooMuchData is an
# SnmpMalformed); any other SnmpError is "snmp_error".
SNMP_CODES = (
    (SnmpV3SettingsError, "snmp_v3_settings"),
    (SnmpTooMuchData, "snmp_too_much_data"),
    (SnmpAuthError, "snmp_auth"),
    (SnmpUnreachable, "snmp_unreachable"),
    (SnmpNoSuchOid, "snmp_no_such_oid"),
    (SnmpMalformed, "snmp_malformed"),
)
# The codes of an OLT that did not answer (its alarm counts these failures only).
NO_ANSWER_CODES = ("snmp_timeout", "snmp_timeout_v3", "snmp_unreachable")


def describe_snmp_error(ctx: RunContext, exc: SnmpError) -> Message:
    """Turn a typed SNMP error into one precise sentence naming the OLT and its address."""
    who = {"olt": ctx.olt_name, "address": ctx.address}
    t = ctx.target
    if isinstance(exc, SnmpTimeout):
        code = "snmp_timeout_v3" if t.version == "3" else "snmp_timeout"
        waited = t.timeout * (t.retries + 1)
        return Message(code, **who, waited=waited, tries=t.retries + 1, timeout=t.timeout)
    code = next((code for cls, code in SNMP_CODES if isinstance(exc, cls)), "snmp_error")
    detail = (getattr(exc, "detail", "") or str(exc)) if code == "snmp_too_much_data" else str(exc)
    return Message(code, **who, detail=detail)
