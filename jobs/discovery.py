"""Discovery: every row of the walked column is an ONU; upsert them and sweep the missing."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from jobs.formulas import resolve_formula, state_labels
from snmp.client import VarBind, index_of
from snmp.indexes import IndexFormula as FormulaSpec
from snmp.indexes import decode_index
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow

if TYPE_CHECKING:
    from jobs.runner import RunContext

log = logging.getLogger(__name__)
CHUNK = 500
NUMERIC_TYPES = {"Integer", "Gauge32", "Counter32", "Unsigned32"}


def _position(spec: FormulaSpec | None, raw: str) -> dict:
    """Decode raw into frame/slot/port/onu_id and a normalised name (raw itself if no formula)."""
    if spec is None:
        return {"frame": None, "slot": None, "port": None, "onu_id": None, "name": raw}
    d = decode_index(spec, raw)
    return {"frame": d.frame, "slot": d.slot, "port": d.port, "onu_id": d.onu_id, "name": d.name}


def _walk_rows(ctx: RunContext, rows: list[VarBind]) -> dict[str, int | None]:
    """Map each returned index to its state value (None when the column is not numeric)."""
    found: dict[str, int | None] = {}
    for vb in rows:
        if vb.type in ("noSuchObject", "noSuchInstance", "endOfMibView"):
            continue
        raw = index_of(ctx.oid, vb.oid)
        found[raw] = vb.value if vb.type in NUMERIC_TYPES and isinstance(vb.value, int) else None
    return found


def store_discovery(ctx: RunContext, rows: list[VarBind]) -> dict:
    """Upsert one ONU per returned index, mark the others absent; return the summary."""
    now, ex_id = utcnow(), ctx.execution_id
    found = _walk_rows(ctx, rows)
    formula = resolve_formula(ctx.brand_id, ctx.model_id)
    spec = formula[1] if formula else None
    labels = state_labels(ctx.brand_id)
    existing = {
        r.raw_index: r
        for r in db.session.execute(
            select(Onu.id, Onu.raw_index, Onu.present, Onu.state_value).where(
                Onu.olt_id == ctx.olt_id
            )
        )
    }
    new_rows, upd_rows, undecoded, states = [], [], [], Counter()
    for raw, value in found.items():
        try:
            pos = _position(spec, raw)
        except ValueError as exc:
            undecoded.append(f"{raw}: {exc}")
            pos = _position(None, raw)
        label = labels.get(value) if value is not None else None
        states[label or ("unknown" if value is None else str(value))] += 1
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
            new_rows.append(
                dict(
                    fields,
                    olt_id=ctx.olt_id,
                    raw_index=raw,
                    first_seen_at=now,
                    last_change_execution_id=ex_id,
                    collected={},
                )
            )
        else:
            if not old.present or old.state_value != value:
                fields["last_change_execution_id"] = ex_id
            upd_rows.append(dict(fields, id=old.id))
    reappeared = sum(1 for raw in found if raw in existing and not existing[raw].present)
    missing = [r for raw, r in existing.items() if raw not in found]
    absent_now = _sweep(missing, ex_id)
    for start in range(0, len(new_rows), CHUNK):
        db.session.execute(insert(Onu), new_rows[start : start + CHUNK])
    _bulk_update(upd_rows)
    return {
        "oid": ctx.oid,
        "found": len(found),
        "new": len(new_rows),
        "reappeared": reappeared,
        "absent_now": absent_now,
        "absent_total": len(missing),
        "states": dict(states),
        "formula": formula[0] if formula else None,
        "undecoded": len(undecoded),
        "undecoded_examples": undecoded[:5],
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
