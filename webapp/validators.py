"""Validation of hosts, OIDs and schedules, shared by forms, the CLI and the API."""

from __future__ import annotations

import ipaddress
import re

from flask_babel import gettext as _

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_OID = re.compile(r"^\.?\d+(\.\d+)+$")
_INTERVAL = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_ARC = 2**32 - 1


class Invalid(ValueError):
    """Bad input, said in the reader's language.

    The message is translated when raised, through Flask-Babel's locale of the moment: the
    request's in the admin and the API, the CLI's own choice in a command, English anywhere
    else (workers, logs). ``field`` names the input it is about, where that is known, so a
    form or an API problem can put the error at its field whatever the language.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def validate_host(value: str) -> str:
    """Return a valid IPv4/IPv6 address or DNS hostname, or raise ValueError saying why."""
    host = (value or "").strip()
    if not host:
        raise Invalid(_("the host is required"), "host")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if re.fullmatch(r"[\d.]+", host):
        raise Invalid(_("%(host)s is not a valid IPv4 address", host=repr(host)), "host")
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not all(_HOST_LABEL.match(p) for p in name.split(".")):
        raise Invalid(_("%(host)s is not a valid IP address or hostname", host=repr(host)), "host")
    return name.lower()


def normalise_oid(value: str) -> str:
    """Return a dotted OID without the leading dot, or raise ValueError saying why."""
    oid = (value or "").strip()
    if not _OID.match(oid):
        raise Invalid(
            _("%(value)s is not a numeric OID such as 1.3.6.1.2.1.1.1", value=repr(value)), "oid"
        )
    arcs = [int(a) for a in oid.lstrip(".").split(".")]
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise Invalid(
            _("%(value)s: an OID starts with 0, 1 or 2 (and 0-39 after 0 or 1)", value=repr(value)),
            "oid",
        )
    if any(a > MAX_ARC for a in arcs):
        raise Invalid(
            _("%(value)s: a sub-identifier is larger than %(max)d", value=repr(value), max=MAX_ARC),
            "oid",
        )
    if len(arcs) > 128:
        raise Invalid(
            _("%(value)s: an OID has at most 128 sub-identifiers", value=repr(value)), "oid"
        )
    return ".".join(str(a) for a in arcs)


def interval_seconds(value: str) -> int:
    """Return the seconds of an interval such as 30s, 5m, 1h or 1d, or raise ValueError."""
    m = _INTERVAL.match((value or "").strip())
    if not m or int(m.group(1)) == 0:
        raise Invalid(
            _("%(value)s is not an interval such as 30s, 5m, 1h or 1d", value=repr(value)),
            "interval",
        )
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def validate_cron(value: str) -> str:
    """Return a 5-field cron expression, or raise ValueError saying why."""
    from croniter import croniter

    expr = " ".join((value or "").split())
    if len(expr.split(" ")) != 5 or not croniter.is_valid(expr):
        raise Invalid(
            _("%(value)s is not a 5-field cron expression such as */15 * * * *", value=repr(value)),
            "cron",
        )
    return expr
