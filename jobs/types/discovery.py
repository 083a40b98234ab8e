"""The discovery job of the original system: walk one column; every row of it is an ONU.

Its rows are placed with the column's own formula (the profile's, whatever the OLT's model),
so that it agrees with the poll and other discovery jobs on which ONU is which. The values are
stored as the ONU's state only when the column is a state column.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs import inventory
from jobs.columns import Resolved, oid_column
from jobs.context import RunContext
from jobs.errors import JobError
from jobs.types import _rows
from jobs.types.base import JobType
from snmp.errors import SnmpNoSuchOid
from webapp.models.base import utcnow


@dataclass(frozen=True)
class Plan:
    """The job's column as it applies to this OLT."""

    column: Resolved
    oid_name: str
    walk_per_pon: bool


@dataclass
class Walked:
    """The column's rows, and the interface names where the formula needs them."""

    rows: list
    names: _rows.Names
    walk: str


class DiscoveryType(JobType):
    """Enumerate the OLT's ONUs from one column."""

    name = "discovery"
    needs_oid = True

    def check(self, oid) -> str | None:
        return super().check(oid)

    def plan(self, ex, ctx: RunContext) -> Plan:
        oid = ex.job.oid
        return Plan(oid_column(ctx.scope, oid), oid.name, ctx.scope.profile.walk_per_pon)

    def poll(self, ctx: RunContext, plan: Plan) -> Walked:
        column = plan.column
        needs_names = plan.walk_per_pon or column.formula.mode == "ifname"
        names = _rows.if_names(ctx.target) if needs_names else {}
        ports = _rows.pon_ports(names) if plan.walk_per_pon else []
        rows, _failures = _rows.walk(
            ctx.target, [column], ports, required=column.oid, between=ctx.check
        )
        if not rows[column.oid]:
            # GETNEXT/GETBULK simply move past a column the agent does not have.
            raise SnmpNoSuchOid(
                f"OID {column.oid} ({plan.oid_name}): its walk returned no rows "
                "(the OLT lacks it, or the table is empty)"
            )
        walk = (
            f"per PON ({len(ports)} ports)"
            if ports and len(_rows.subtrees([column], ports)) > 1
            else "whole column"
        )
        return Walked(rows[column.oid], names, walk)

    def store(self, ctx: RunContext, plan: Plan, result: Walked) -> dict:
        column, now = plan.column, utcnow()
        decoded = _rows.decode_rows(column, result.rows, result.names)
        if not decoded.by_position:
            raise JobError(_rows.nothing_placed(column, decoded))
        convert = _rows.Converter(now, ctx.olt_tz)
        found = {}
        for pos, (d, raw, vb) in decoded.by_position.items():
            state = convert.value(column, vb, pos) if column.yields_state else None
            found[pos] = inventory.Sighting(d, raw, state if isinstance(state, int) else None)
        obs = inventory.Observation(
            found=found,
            complete=column.lists_every_onu,
            state_known=column.yields_state,
            online=column.column.online if column.yields_state else frozenset(),
        )
        report = inventory.store(
            ctx.olt_id, ctx.execution_id, obs, column.labels or {}, ctx.absent_after, now
        )
        summary = {
            "oid": column.oid,
            "table": column.column.label,
            "walk": result.walk,
            **report.as_dict(),
            "formula": column.formula_name,
            "undecoded": len(decoded.undecoded),
            "undecoded_examples": decoded.undecoded[:5],
            "not_onus": decoded.not_onus,
        }
        if not column.yields_state:
            summary["note"] = "not a state column: ONUs found, their state left as it was"
            summary.pop("states")
        if not column.lists_every_onu:
            summary["presence_note"] = (
                "this table shows only some ONUs (online ones): ONUs missing from it were "
                "not marked absent"
            )
        return summary


TYPE = DiscoveryType()
