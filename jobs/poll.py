"""The SNMP phase of an execution: what to ask the OLT for, per job type (no database here)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from snmp.client import VarBind, index_of, walk_column
from snmp.errors import SnmpNoSuchOid

if TYPE_CHECKING:
    from jobs.runner import RunContext

log = logging.getLogger(__name__)

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"  # IF-MIB::ifName
EXCEPTIONS = ("noSuchObject", "noSuchInstance", "endOfMibView")


def poll(ctx: RunContext) -> list[VarBind]:
    """Ask the OLT for the job's data; raise a typed SNMP error if it cannot be had."""
    if ctx.job_type == "discovery":
        rows = _discovery_rows(ctx)
    elif ctx.options.get("method") == "get":
        rows = _get_rows(ctx)
    else:
        rows = walk_column(ctx.target, ctx.oid)
    if not rows and (ctx.job_type == "discovery" or ctx.targets):
        # GETNEXT/GETBULK simply move past a column the agent does not have.
        raise SnmpNoSuchOid("its walk returned no rows (or the table is empty)")
    return rows


def pon_ports(ctx: RunContext) -> list[int]:
    """ifIndexes of the OLT's PON ports, from IF-MIB::ifName (empty if it has none)."""
    from snmp.indexes import parse_port_name

    ports = []
    for vb in walk_column(ctx.target, IF_NAME):
        name = str(vb.value or "")
        if "pon" in name.lower() and ":" not in name:
            try:
                parse_port_name(name)
            except ValueError:
                continue
            ports.append(int(index_of(IF_NAME, vb.oid)))
    return ports


def _discovery_rows(ctx: RunContext) -> list[VarBind]:
    """Walk the discovery column, PON by PON where the brand truncates whole-table walks."""
    if not ctx.walk_per_pon:
        return walk_column(ctx.target, ctx.oid)
    ports = pon_ports(ctx)
    if not ports:
        log.info("OLT %s: no PON ports in ifName; walking the whole column", ctx.olt_name)
        return walk_column(ctx.target, ctx.oid)
    from snmp.client import walk_columns_sync

    columns = walk_columns_sync(ctx.target, [f"{ctx.oid}.{p}" for p in ports])
    return [vb for column in columns.values() for vb in column]


def _get_rows(ctx: RunContext) -> list[VarBind]:
    """GET the OID for every present ONU, many varbinds per request."""
    from snmp.client import get_many_sync

    if not ctx.targets:
        return []
    rows = get_many_sync(ctx.target, [f"{ctx.oid}.{raw}" for raw in ctx.targets])
    if rows and all(vb.type == "noSuchObject" for vb in rows):
        raise SnmpNoSuchOid("every GET answered noSuchObject")
    return rows
