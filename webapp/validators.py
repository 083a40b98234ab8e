"""Validation of hosts, OIDs and schedules, shared by forms and the CLI."""

from __future__ import annotations

import ipaddress
import re

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_OID = re.compile(r"^\.?\d+(\.\d+)+$")
_INTERVAL = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_ARC = 2**32 - 1


def validate_host(value: str) -> str:
    """Return a valid IPv4/IPv6 address or DNS hostname, or raise ValueError saying why."""
    host = (value or "").strip()
    if not host:
        raise ValueError("the host is required")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if re.fullmatch(r"[\d.]+", host):
        raise ValueError(f"{host!r} is not a valid IPv4 address")
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not all(_HOST_LABEL.match(p) for p in name.split(".")):
        raise ValueError(f"{host!r} is not a valid IP address or hostname")
    return name.lower()


def normalise_oid(value: str) -> str:
    """Return a dotted OID without the leading dot, or raise ValueError saying why."""
    oid = (value or "").strip()
    if not _OID.match(oid):
        raise ValueError(f"{value!r} is not a numeric OID such as 1.3.6.1.2.1.1.1")
    arcs = [int(a) for a in oid.lstrip(".").split(".")]
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise ValueError(f"{value!r}: an OID starts with 0, 1 or 2 (and 0-39 after 0 or 1)")
    if any(a > MAX_ARC for a in arcs):
        raise ValueError(f"{value!r}: a sub-identifier is larger than {MAX_ARC}")
    if len(arcs) > 128:
        raise ValueError(f"{value!r}: an OID has at most 128 sub-identifiers")
    return ".".join(str(a) for a in arcs)


def interval_seconds(value: str) -> int:
    """Return the seconds of an interval such as 30s, 5m, 1h or 1d, or raise ValueError."""
    m = _INTERVAL.match((value or "").strip())
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{value!r} is not an interval such as 30s, 5m, 1h or 1d")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def validate_cron(value: str) -> str:
    """Return a 5-field cron expression, or raise ValueError saying why."""
    from croniter import croniter

    expr = " ".join((value or "").split())
    if len(expr.split(" ")) != 5 or not croniter.is_valid(expr):
        raise ValueError(f"{value!r} is not a 5-field cron expression such as */15 * * * *")
    return expr
