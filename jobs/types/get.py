"""The get job of the original system: collect one attribute for every present ONU.

The column is walked (default) or read with GETs of many varbinds (job option
{"method": "get"}); rows are placed with the column's own formula, so a get job fills the
ONUs whatever table found them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from jobs import inventory
from jobs.columns import Resolved, oid_column
from jobs.context import RunContext
from jobs.errors import JobError
from jobs.messages import Message
from jobs.types import _rows
from jobs.types.base import JobType
from snmp.client import EXCEPTION_TYPES, get_many_sync
from snmp.errors import SnmpNoSuchOid
from snmp.indexes import DecodedIndex, encode_index
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow


@dataclass(frozen=True)
class Target:
    """A present ONU: its position and how to ask the column for it."""

    position: str
    index: str


@dataclass(frozen=True)
class Plan:
    """The column, and the present ONUs (for GETs)."""

    column: Resolved
    oid_name: str
    method: str
    targets: tuple[Target, ...]


class GetType(JobType):
    """Collect one attribute of every present ONU."""

    name = "get"
    needs_oid = True

    def check(self, oid) -> str | None:
        problem = super().check(oid)
        if problem is None and oid.kind in ("discovery", "state"):
            return "a state or discovery OID is walked by a discovery or poll job, not a get job"
        return problem

    def plan(self, ex, ctx: RunContext) -> Plan:
        oid = ex.job.oid
        column = oid_column(ctx.scope, oid)
        method = (ctx.options or {}).get("method", "walk")
        targets = _targets(ctx.olt_id, column) if method == "get" else ()
        return Plan(column, oid.name, method, targets)

    def poll(self, ctx: RunContext, plan: Plan) -> tuple[list, _rows.Names]:
        column = plan.column
        names = _rows.if_names(ctx.target) if column.formula.mode == "ifname" else {}
        if plan.method == "get":
            if not plan.targets:
                raise JobError(_no_onus(ctx))
            oids = [f"{column.oid}.{t.index}{column.index_suffix}" for t in plan.targets]
            rows = get_many_sync(ctx.target, oids)
            if rows and all(vb.type in EXCEPTION_TYPES for vb in rows):
                raise SnmpNoSuchOid(
                    f"OID {column.oid} ({plan.oid_name}): every GET answered {rows[0].type}"
                )
            return rows, names
        walked, _failures = _rows.walk(
            ctx.target, [column], [], required=column.oid, between=ctx.check
        )
        if not walked[column.oid]:
            raise SnmpNoSuchOid(
                f"OID {column.oid} ({plan.oid_name}): its walk returned no rows "
                "(the OLT lacks it, or the table is empty)"
            )
        return walked[column.oid], names

    def store(self, ctx: RunContext, plan: Plan, result) -> dict:
        rows, names = result
        column, now = plan.column, utcnow()
        decoded = _rows.decode_rows(column, rows, names)
        if decoded.undecoded and not decoded.by_position:
            # every row is off the column's formula: a wrong formula, not an OLT without ONUs
            raise JobError(_rows.nothing_placed(column, decoded))
        convert = _rows.Converter(now, ctx.olt_tz)
        values = {
            pos: convert.value(column, vb, pos) for pos, (_d, _r, vb) in decoded.by_position.items()
        }
        keep = {column.attribute} if column.keep_previous or column.column.keep_previous else set()
        obs = inventory.Observation(
            values={column.attribute: values}, keep_previous=frozenset(keep)
        )
        report = inventory.store(ctx.olt_id, ctx.execution_id, obs, {}, ctx.absent_after, now)
        if not report.targets:
            raise JobError(_no_onus(ctx))
        stored = report.stored[column.attribute]
        summary = {
            "oid": column.oid,
            "table": column.column.label,
            "attribute": column.attribute,
            "method": plan.method,
            "targets": report.targets,
            "stored": stored,
            "kept_previous": report.kept_previous[column.attribute],
            "no_row": report.no_row,
            "rows": decoded.rows,
            "rows_for_unknown_onus": report.unknown_rows,
            "undecoded": len(decoded.undecoded),
            "undecoded_examples": decoded.undecoded[:5],
        }
        if convert.errors:
            summary["value_errors"] = convert.errors[column.attribute]
            summary["value_error_examples"] = convert.examples.get(column.attribute, [])
        return summary


def _no_onus(ctx: RunContext) -> Message:
    return Message("no_onus", olt=ctx.olt_name)


def _targets(olt_id: int, column: Resolved) -> tuple[Target, ...]:
    """Present ONUs with the index this column knows them by."""
    rows = db.session.execute(
        select(Onu.position, Onu.raw_index, Onu.frame, Onu.slot, Onu.port, Onu.onu_id).where(
            Onu.olt_id == olt_id, Onu.present.is_(True)
        )
    )
    out = []
    for r in rows:
        index = r.raw_index
        if column.formula.mode in ("linear", "bitshift") and r.onu_id is not None:
            try:
                index = encode_index(column.formula, r.frame, r.slot, r.port, r.onu_id)
            except ValueError:
                pass
        out.append(Target(r.position, index))
    return tuple(out)


__all__ = ["TYPE", "DecodedIndex"]
TYPE = GetType()
