"""Get jobs: collect one attribute for every present ONU of the OLT from a column walk."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from jobs.values import ATTRIBUTE_OF_KIND, ValueRuleError, convert
from snmp.client import VarBind, index_of
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow

if TYPE_CHECKING:
    from jobs.runner import RunContext

log = logging.getLogger(__name__)
CHUNK = 500


def store_get(ctx: RunContext, rows: list[VarBind]) -> dict:
    """Apply the value rules to the returned rows and store them on the matching ONUs."""
    attribute = ATTRIBUTE_OF_KIND.get(ctx.oid_kind)
    if attribute is None:
        raise ValueError(f"OID kind {ctx.oid_kind!r} cannot be collected by a get job")
    values = {index_of(ctx.oid, vb.oid): vb for vb in rows}
    onus = db.session.execute(
        select(Onu.id, Onu.raw_index, Onu.collected, getattr(Onu, attribute)).where(
            Onu.olt_id == ctx.olt_id, Onu.present.is_(True)
        )
    ).all()
    now, stamp = utcnow(), {"at": utcnow().isoformat(), "execution": ctx.execution_id}
    updates, failures, kept = [], {}, 0
    for onu in onus:
        vb = values.get(onu.raw_index)
        if vb is None or vb.type in ("noSuchObject", "noSuchInstance", "endOfMibView"):
            failures[onu.raw_index] = "no value returned"
            continue
        try:
            value = convert(ctx.oid_kind, vb, ctx.profile_key, ctx.render_hex)
        except ValueRuleError as exc:
            failures[onu.raw_index] = str(exc)
            continue
        if value in (None, "") and ctx.keep_previous and onu[3] not in (None, ""):
            kept += 1
            continue
        collected = dict(onu.collected or {}, **{attribute: stamp})
        updates.append(
            {
                "id": onu.id,
                attribute: value,
                "collected": collected,
                "last_execution_id": ctx.execution_id,
            }
        )
    for start in range(0, len(updates), CHUNK):
        db.session.execute(update(Onu), updates[start : start + CHUNK])
    log.info(
        "get %s on OLT %s: %d stored, %d failed at %s",
        ctx.oid,
        ctx.olt_name,
        len(updates),
        len(failures),
        now.isoformat(),
    )
    return {
        "oid": ctx.oid,
        "attribute": attribute,
        "targets": len(onus),
        "stored": len(updates),
        "kept_previous": kept,
        "failed": len(failures),
        "failures": dict(list(failures.items())[:20]),
        "not_present_rows": len(set(values) - {o.raw_index for o in onus}),
        **({"note": "no present ONUs on this OLT: run a discovery job first"} if not onus else {}),
    }
