"""What an execution says when it fails, as a code with parameters, in the reader's language.

A worker has no request and no reader: it stores a code ("snmp_timeout") with its parameters
({"olt": "SMP-10", "waited": 6, …}) and, beside them, the English sentence (for logs, search,
old rows and the API's ``error``). A page, the API or the CLI renders the code in its reader's
language with ``render_error``. One catalogue below holds every code: its English template is
the msgid of the Spanish catalog (webapp/translations), marked for extraction with ``N_`` and
``ngettext`` (no-ops here: Babel's default keywords; babel.cfg extracts jobs/**.py).

Parameters are data, often from an OLT (names, an agent's error text): they are substituted
into the template, never used as one, and pages escape them like any other text. Stored data
that does not fit the catalogue (an unknown code, a missing or extra parameter, a wrong type:
an older or newer version wrote it, or someone edited the row) renders as the stored English
sentence, never as an exception.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


def N_(text: str) -> str:
    """Mark a template for extraction; it is translated when rendered, not here."""
    return text


def ngettext(singular: str, plural: str, count: str) -> tuple[str, str, str]:
    """Mark a template with a plural for extraction (Babel's "ngettext" keyword takes the
    first two arguments); ``count`` names the parameter that chooses the form. A no-op."""
    return singular, plural, count


@dataclass(frozen=True)
class Template:
    """A message's English template, its plural (if a number chooses the form) and which of
    its parameters are figures (formatted as the reader's decimals)."""

    text: str
    plural: str | None = None
    count: str | None = None
    numbers: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """The parameters the template takes."""
        return frozenset(_NAME.findall(self.text + (self.plural or "")))


_NAME = re.compile(r"%\((\w+)\)s")


def _plural(marked: tuple[str, str, str], numbers: tuple[str, ...]) -> Template:
    singular, plural, count = marked
    return Template(singular, plural, count, numbers)


_OLT = "OLT %(olt)s (%(address)s)"  # how every SNMP sentence names its OLT

CATALOGUE: dict[str, Template] = {
    # Why an execution may not run (jobs.errors.disabled_reason, jobs.control)
    "job_deleted": Template(N_("job %(job)s was deleted")),
    "olt_deleted": Template(N_("OLT %(olt)s was deleted")),
    "job_disabled": Template(N_("job %(job)s disabled")),
    "olt_disabled": Template(N_("OLT %(olt)s disabled")),
    "olt_disabled_for_job": Template(N_("OLT %(olt)s disabled for job %(job)s")),
    "job_type_unknown": Template(N_("unknown job type %(job_type)s; known: %(known)s")),
    "job_invalid": Template(N_("job %(job)s: %(problem)s")),
    "cancelled": Template(N_("cancelled by %(user)s")),
    # SNMP failures (jobs.errors.describe_snmp_error)
    "snmp_timeout": _plural(
        ngettext(
            "OLT %(olt)s (%(address)s) did not answer within %(waited)s s (%(tries)s try of "
            "%(timeout)s s): it is down or unreachable, or the SNMP community is wrong "
            "(agents ignore requests with a wrong community)",
            "OLT %(olt)s (%(address)s) did not answer within %(waited)s s (%(tries)s tries of "
            "%(timeout)s s): it is down or unreachable, or the SNMP community is wrong "
            "(agents ignore requests with a wrong community)",
            "tries",
        ),
        ("waited", "tries", "timeout"),
    ),
    "snmp_timeout_v3": _plural(
        ngettext(
            "OLT %(olt)s (%(address)s) did not answer within %(waited)s s (%(tries)s try of "
            "%(timeout)s s): it is down or unreachable, or the SNMPv3 user is wrong "
            "(agents ignore requests with a wrong community)",
            "OLT %(olt)s (%(address)s) did not answer within %(waited)s s (%(tries)s tries of "
            "%(timeout)s s): it is down or unreachable, or the SNMPv3 user is wrong "
            "(agents ignore requests with a wrong community)",
            "tries",
        ),
        ("waited", "tries", "timeout"),
    ),
    "snmp_v3_settings": Template(
        N_("OLT %(olt)s (%(address)s): its SNMPv3 settings cannot be used: %(detail)s")
    ),
    "snmp_too_much_data": Template(
        N_("OLT %(olt)s (%(address)s) %(detail)s (limit: SNMP_MAX_WALK_BYTES)")
    ),
    "snmp_auth": Template(
        N_("OLT %(olt)s (%(address)s) refused the SNMPv3 credentials: %(detail)s")
    ),
    "snmp_unreachable": Template(N_("OLT %(olt)s (%(address)s) is unreachable: %(detail)s")),
    "snmp_no_such_oid": Template(N_("OLT %(olt)s (%(address)s): not supported: %(detail)s")),
    "snmp_malformed": Template(
        N_("OLT %(olt)s (%(address)s) sent a malformed response: %(detail)s")
    ),
    "snmp_error": Template(N_("SNMP error from OLT %(olt)s (%(address)s): %(detail)s")),
    "detection_not_applied": Template(N_("OLT %(olt)s (%(address)s): %(detail)s")),
    # a walk none of whose rows is an ONU
    "rows_undecodable": Template(
        N_("none of the %(rows)s rows of %(column)s decodes with formula %(formula)s: %(examples)s")
    ),
    "rows_not_onus": Template(N_("%(column)s has %(rows)s rows and none is an ONU")),
    # a stored secret the configured keys cannot decrypt (one code per secret: Spanish
    # agrees in gender with each)
    **{
        f"secret_unreadable_{field}": Template(text)
        for field, text in (
            (
                "community",
                N_(
                    "the stored SNMP community of OLT %(olt)s cannot be decrypted with the "
                    "configured keys (SECRET_KEY or OLTWATCH_ENCRYPTION_KEY changed without a "
                    'rotation: see the README, "Secrets at rest"); enter it again, or add the old '
                    "key to OLTWATCH_ENCRYPTION_KEY"
                ),
            ),
            (
                "v3_auth_key",
                N_(
                    "the stored SNMPv3 auth key of OLT %(olt)s cannot be decrypted with the "
                    "configured keys (SECRET_KEY or OLTWATCH_ENCRYPTION_KEY changed without a "
                    'rotation: see the README, "Secrets at rest"); enter it again, or add the old '
                    "key to OLTWATCH_ENCRYPTION_KEY"
                ),
            ),
            (
                "v3_priv_key",
                N_(
                    "the stored SNMPv3 privacy key of OLT %(olt)s cannot be decrypted with the "
                    "configured keys (SECRET_KEY or OLTWATCH_ENCRYPTION_KEY changed without a "
                    'rotation: see the README, "Secrets at rest"); enter it again, or add the old '
                    "key to OLTWATCH_ENCRYPTION_KEY"
                ),
            ),
        )
    },
    "no_onus": Template(
        N_("no ONUs known on OLT %(olt)s yet: run its poll or a discovery job first")
    ),
    # The run's end decided by the runner, the reaper, the lock or the queue
    "job_timeout": Template(
        N_("timed out after %(seconds)s s (job timeout)"), numbers=("seconds",)
    ),
    "job_timeout_killed": Template(N_("timed out after %(seconds)s s"), numbers=("seconds",)),
    "job_timeout_worker": Template(
        N_("timed out after %(seconds)s s (its worker stopped)"), numbers=("seconds",)
    ),
    "worker_lost": Template(N_("worker lost (no heartbeat)")),
    "redis_unavailable": Template(N_("Redis unavailable: %(detail)s")),
    "internal": Template(N_("internal error: %(exception)s: %(detail)s")),
    "lock_lost": Template(
        N_("stopped: %(reason)s; nothing was stored, so that two polls of one OLT never overlap")
    ),
    "lock_expired": Template(N_("its OLT lock was lost (expired or Redis lost its data)")),
    "lock_redis_down": Template(
        N_("Redis unreachable for more than %(seconds)s s"), numbers=("seconds",)
    ),
    "lock_redis_down_store": Template(
        N_("Redis unreachable when the results were to be stored (%(detail)s)")
    ),
    "olt_busy_never_ran": Template(
        N_(
            "OLT %(olt)s busy: still waiting for its lock after %(seconds)s s "
            "(last held by execution %(holder)s)"
        ),
        numbers=("seconds",),
    ),
    "never_ran": Template(N_("still pending after %(seconds)s s: never run"), numbers=("seconds",)),
    "queue_unavailable": Template(
        N_("queue unavailable: cannot reach Redis at %(redis)s (%(detail)s)")
    ),
    "retry_not_queued": Template(N_("queue unavailable: retry not scheduled (%(detail)s)")),
}

Scalar = str | int | float
# Messages in one: a message quoting another ("stopped: <why the lock was lost>…") is two;
# stored data nesting deeper is not ours.
MAX_DEPTH = 3


def _english(value: Any) -> str:
    """A parameter as the stored English sentence has always written it (6 s, 0.5 s, 3)."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(value: Any) -> Any:
    """A parameter as JSON stores it: a number, a text, or a quoted message."""
    if isinstance(value, Message):
        return {"code": value.code, "params": value.params}
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return str(value)
    return value


class Message(str):
    """An execution's error: the English sentence (it is a ``str``, so logs, f-strings and
    comparisons work as they always did) that also knows its code and parameters.

    A ``str`` subclass keeps every caller that builds, logs or compares error texts working
    unchanged; only the places that store an error (``columns``) look at the code.
    """

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Message:
        template = CATALOGUE[code]  # a code the catalogue lacks is a programming error
        if set(params) != template.names:
            raise ValueError(
                f"message {code}: parameters {sorted(params)}, not {sorted(template.names)}"
            )
        text = template.text
        if template.count is not None and params[template.count] != 1:
            text = template.plural or text
        self = super().__new__(cls, text % {k: _english(v) for k, v in params.items()})
        self.code = code
        self.params = {k: _plain(v) for k, v in params.items()}
        return self

    def __reduce__(self):  # pickled (an RQ result) as the plain sentence it stands for
        return (str, (str(self),))


def columns(error: str | None) -> dict[str, Any]:
    """The execution columns that store this error: its text, and its code and parameters
    when it is a Message (None for a plain text, so an older code never stays behind)."""
    if error is None:
        return {}
    if isinstance(error, Message):
        return {"error": str(error), "error_code": error.code, "error_params": error.params}
    return {"error": str(error), "error_code": None, "error_params": None}


class _Unfit(Exception):
    """Stored data that does not fit the catalogue."""


def _format_number(value: Any, locale) -> str:
    from babel.numbers import format_decimal

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unfit(f"not a number: {value!r}")
    return format_decimal(value, locale=locale, group_separator=False)


def _param(value: Any, depth: int, locale) -> str:
    if isinstance(value, dict):
        if depth + 1 >= MAX_DEPTH:
            raise _Unfit("messages quoted too deep")
        return _render(value.get("code"), value.get("params"), depth + 1, locale)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Unfit(f"not a parameter: {type(value).__name__}")
    return _english(value)


def _render(code: Any, params: Any, depth: int, locale) -> str:
    from flask_babel import get_translations

    template = CATALOGUE.get(code) if isinstance(code, str) else None
    if template is None:
        raise _Unfit(f"unknown code {code!r}")
    if not isinstance(params, dict) or set(params) != template.names:
        raise _Unfit(f"parameters of {code} do not fit")
    values = {
        k: _format_number(v, locale) if k in template.numbers else _param(v, depth, locale)
        for k, v in params.items()
    }
    translations = get_translations()
    if template.count is not None:
        n = params[template.count]
        if isinstance(n, bool) or not isinstance(n, int):
            raise _Unfit(f"{template.count} is not a count")
        text = translations.ngettext(template.text, template.plural, n)
    else:
        text = translations.gettext(template.text)
    try:
        return text % values
    except (KeyError, ValueError, TypeError) as exc:  # a translation with a broken placeholder
        raise _Unfit(f"the translation of {code} does not format") from exc


def render_error(code: Any, params: Any, error: str | None) -> str:
    """The message (code, params) in the current locale (Flask-Babel's: the request's reader,
    the default language outside a request), or ``error`` (the stored English sentence) when
    there is no code or the stored data does not fit the catalogue. Never raises."""
    if code is None:
        return error or ""
    try:
        from flask_babel import get_locale

        return _render(code, params, 0, get_locale())
    except Exception as exc:  # hostile or old data, or no app context: the stored sentence
        log.debug("message %r not rendered (%s); its stored text is shown", code, exc)
        return error or ""


def render_message(message: str | None) -> str:
    """A Message in the current locale; a plain text as it is."""
    if isinstance(message, Message):
        return render_error(message.code, message.params, str(message))
    return message or ""


def execution_error(ex) -> str:
    """An execution's error in the reader's language ("" when it has none)."""
    return render_error(
        getattr(ex, "error_code", None), getattr(ex, "error_params", None), ex.error
    )
