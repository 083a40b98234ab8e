"""Discovery: every row of the walked column is an ONU; upsert them and sweep the missing."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from jobs.formulas import state_labels
from snmp.client import EXCEPTION_TYPES, VarBind, index_of
from snmp.indexes import IndexFormula as FormulaSpec
from snmp.indexes import decode_index
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow

if TYPE_CHECKING:
    from jobs.poll import PollResult
    from jobs.runner import RunContext

log = logging.getLogger(__name__)
CHUNK = 500
NUMERIC_TYPES = {"Integer", "Gauge32", "Counter32", "Unsigned32"}


def _position(spec: FormulaSpec | None, raw: str, ifnames: dict | None = None) -> dict:
    """Decode raw into frame/slot/port/onu_id and a normalised name (raw itself if no formula)."""
    if spec is None:
        return {"frame": None, "slot": None, "port": None, "onu_id": None, "name": raw}
    d = decode_index(spec, raw, ifnames)
    return {"frame": d.frame, "slot": d.slot, "port": d.port, "onu_id": d.onu_id, "name": d.name}


def _walk_rows(ctx: RunContext, rows: list[VarBind]) -> dict[str, int | None]:
    """Map each returned index to its state value (None when the column is not numeric)."""
    found: dict[str, int | None] = {}
    for vb in rows:
        if vb.type in EXCEPTION_TYPES:
            continue
        raw = index_of(ctx.oid, vb.oid)
        found[raw] = vb.value if vb.type in NUMERIC_TYPES and isinstance(vb.value, int) else None
    return found


@dataclass
class _Plan:
    """The rows a discovery will insert and update, and what it noticed on the way."""

    new_rows: list[dict] = field(default_factory=list)
    upd_rows: list[dict] = field(default_factory=list)
    undecoded: list[str] = field(default_factory=list)
    states: Counter = field(default_factory=Counter)


def _existing(olt_id: int) -> dict:
    """Map raw index to (id, raw_index, present, state_value) of the OLT's known ONUs."""
    query = select(Onu.id, Onu.raw_index, Onu.present, Onu.state_value)
    return {r.raw_index: r for r in db.session.execute(query.where(Onu.olt_id == olt_id))}


def _plan(ctx: RunContext, found: dict, existing: dict, ifnames: dict, labels: dict) -> _Plan:
    """Decide, per returned index, the insert or update that stores it."""
    plan, now, ex_id = _Plan(), utcnow(), ctx.execution_id
    spec = ctx.formula[1] if ctx.formula else None
    for raw, value in found.items():
        try:
            pos = _position(spec, raw, ifnames)
        except ValueError as exc:
            plan.undecoded.append(f"{raw}: {exc}")
            pos = _position(None, raw)
        label = labels.get(value) if value is not None else None
        plan.states[label or ("unknown" if value is None else str(value))] += 1
        fields = dict(
            pos,
            present=True,
            consecutive_misses=0,
            last_seen_at=now,
            state_value=value,
            state_label=label,
            last_execution_id=ex_id,
        )
        old = existing.get(raw)
        if old is None:
            plan.new_rows.append(
                dict(
                    fields,
                    olt_id=ctx.olt_id,
                    raw_index=raw,
                    first_seen_at=now,
                    last_change_execution_id=ex_id,
                    collected={},
                )
            )
            continue
        if not old.present or old.state_value != value:
            fields["last_change_execution_id"] = ex_id
        plan.upd_rows.append(dict(fields, id=old.id))
    return plan


def store_discovery(ctx: RunContext, result: PollResult) -> dict:
    """Upsert one ONU per returned index, mark the others absent; return the summary."""
    found = _walk_rows(ctx, result.rows)
    formula = ctx.formula
    existing = _existing(ctx.olt_id)
    labels = state_labels(ctx.brand_id, ctx.model_id)
    plan = _plan(ctx, found, existing, result.ifnames, labels)
    missing = [r for raw, r in existing.items() if raw not in found]
    absent_now = _sweep(missing, ctx.execution_id)
    for start in range(0, len(plan.new_rows), CHUNK):
        db.session.execute(insert(Onu), plan.new_rows[start : start + CHUNK])
    _bulk_update(plan.upd_rows)
    return {
        "oid": ctx.oid,
        "walk": result.walk,
        "found": len(found),
        "new": len(plan.new_rows),
        "reappeared": sum(1 for raw in found if raw in existing and not existing[raw].present),
        "absent_now": absent_now,
        "absent_total": len(missing),
        "states": dict(plan.states),
        "formula": formula[0] if formula else None,
        "undecoded": len(plan.undecoded),
        "undecoded_examples": plan.undecoded[:5],
    }


def _bulk_update(rows: list[dict]) -> None:
    """Update rows by primary key in batches (rows with the same keys go together)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        for start in range(0, len(group), CHUNK):
            db.session.execute(update(Onu), group[start : start + CHUNK])


def _sweep(missing: list, ex_id: int) -> int:
    """Give every ONU that was not returned a miss; those that were present become absent."""
    was_present = [r.id for r in missing if r.present]
    already_absent = [r.id for r in missing if not r.present]
    for ids, values in (
        (was_present, {"present": False, "last_change_execution_id": ex_id}),
        (already_absent, {}),
    ):
        for start in range(0, len(ids), CHUNK):
            db.session.execute(
                update(Onu)
                .where(Onu.id.in_(ids[start : start + CHUNK]))
                .values(consecutive_misses=Onu.consecutive_misses + 1, **values)
                .execution_options(synchronize_session=False)
            )
    return len(was_present)
