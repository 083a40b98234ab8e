"""The SNMP phase of an execution: what to ask the OLT for, per job type (no database here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from snmp.client import VarBind, index_of, walk_column
from snmp.errors import SnmpNoSuchOid
from snmp.indexes import IFNAME_OID, parse_port_name

if TYPE_CHECKING:
    from jobs.runner import RunContext

log = logging.getLogger(__name__)
PONS_PER_REQUEST = 16


@dataclass
class PollResult:
    """What the OLT answered: the rows of the job's OID and, when needed, its ifName table."""

    rows: list[VarBind]
    ifnames: dict[int, str] = field(default_factory=dict)
    walk: str = "whole column"


def poll(ctx: RunContext) -> PollResult:
    """Ask the OLT for the job's data; raise a typed SNMP error if it cannot be had."""
    if ctx.job_type == "discovery":
        result = _discovery(ctx)
    elif ctx.options.get("method") == "get":
        result = PollResult(_get_rows(ctx))
    else:
        result = PollResult(walk_column(ctx.target, ctx.oid))
    if not result.rows and (ctx.job_type == "discovery" or ctx.targets):
        # GETNEXT/GETBULK simply move past a column the agent does not have.
        raise SnmpNoSuchOid("its walk returned no rows (or the table is empty)")
    return result


def if_names(ctx: RunContext) -> dict[int, str]:
    """IF-MIB::ifName of the OLT, by ifIndex."""
    return {
        int(index_of(IFNAME_OID, vb.oid)): str(vb.value or "")
        for vb in walk_column(ctx.target, IFNAME_OID)
    }


def pon_ports(ifnames: dict[int, str]) -> list[int]:
    """ifIndexes whose name is a PON port (not an ONU interface such as GPON0/2:5)."""
    ports = []
    for ifindex, name in ifnames.items():
        if ":" in name:
            continue
        try:
            parse_port_name(name)
        except ValueError:
            continue
        ports.append(ifindex)
    return ports


def _discovery(ctx: RunContext) -> PollResult:
    """Walk the discovery column, PON by PON where the brand truncates whole-table walks."""
    mode = ctx.formula[1].mode if ctx.formula else None
    ifnames = if_names(ctx) if (ctx.walk_per_pon or mode == "ifname") else {}
    ports = pon_ports(ifnames) if ctx.walk_per_pon else []
    if not ports:
        return PollResult(walk_column(ctx.target, ctx.oid), ifnames)
    from snmp.client import walk_columns_sync

    rows: list[VarBind] = []
    # A few PONs per request: each answer must fit in one datagram (columns x repetitions).
    for start in range(0, len(ports), PONS_PER_REQUEST):
        chunk = [f"{ctx.oid}.{p}" for p in ports[start : start + PONS_PER_REQUEST]]
        for column_rows in walk_columns_sync(ctx.target, chunk).values():
            rows.extend(column_rows)
    return PollResult(rows, ifnames, walk=f"per PON ({len(ports)} ports)")


def _get_rows(ctx: RunContext) -> list[VarBind]:
    """GET the OID for every present ONU, many varbinds per request."""
    from snmp.client import get_many_sync

    if not ctx.targets:
        return []
    names = [f"{ctx.oid}.{raw}{ctx.index_suffix}" for raw in ctx.targets]
    rows = get_many_sync(ctx.target, names)
    if rows and all(vb.type == "noSuchObject" for vb in rows):
        raise SnmpNoSuchOid("every GET answered noSuchObject")
    return rows
