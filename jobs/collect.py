"""Get jobs: collect one attribute for every present ONU of the OLT and store it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from snmp.client import EXCEPTION_TYPES, index_of
from snmp.values import ValueRuleError, apply_rule
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow

if TYPE_CHECKING:
    from jobs.poll import PollResult
    from jobs.runner import RunContext

log = logging.getLogger(__name__)
CHUNK = 500

# OID kind -> ONU column it fills.
ATTRIBUTE_OF_KIND = {
    "description": "description",
    "serial": "serial",
    "mac": "mac",
    "plan": "plan",
    "distance": "distance_m",
    "onu_model": "onu_model",
    "subscriber": "subscriber",
    "name": "subscriber",  # the name the operator gave the ONU (ZTE, C-Data, FiberHome)
    "rx_power": "rx_power_dbm",
    "tx_power": "tx_power_dbm",
    "olt_rx_power": "olt_rx_power_dbm",
}


def _by_index(ctx: RunContext, result: PollResult) -> dict:
    """Map each returned ONU index (without the table's suffix) to its varbind."""
    suffix, values = ctx.index_suffix, {}
    for vb in result.rows:
        raw = index_of(ctx.oid, vb.oid)
        if suffix and raw.endswith(suffix):
            raw = raw[: -len(suffix)]
        values[raw] = vb
    return values


def _value(ctx: RunContext, vb) -> tuple[object, str | None]:
    """The value to store and, if it cannot be had, why."""
    if vb is None or vb.type in EXCEPTION_TYPES:
        return None, f"no value returned ({vb.type if vb else 'not in the walk'})"
    try:
        return apply_rule(ctx.rule, vb), None
    except ValueRuleError as exc:
        return None, str(exc)


def store_get(ctx: RunContext, result: PollResult) -> dict:
    """Apply the OID's value rule to each present ONU's value and store it."""
    attribute = ATTRIBUTE_OF_KIND.get(ctx.oid_kind)
    if attribute is None:
        raise ValueError(f"OID kind {ctx.oid_kind!r} cannot be collected by a get job")
    values = _by_index(ctx, result)
    onus = db.session.execute(
        select(Onu.id, Onu.raw_index, Onu.collected, getattr(Onu, attribute)).where(
            Onu.olt_id == ctx.olt_id, Onu.present.is_(True)
        )
    ).all()
    stamp = {"at": utcnow().isoformat(), "execution": ctx.execution_id}
    updates, failures, kept = [], {}, 0
    for onu in onus:
        value, problem = _value(ctx, values.get(onu.raw_index))
        if problem:
            failures[onu.raw_index] = problem
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
    summary = {
        "oid": ctx.oid,
        "attribute": attribute,
        "targets": len(onus),
        "stored": len(updates),
        "kept_previous": kept,
        "failed": len(failures),
        "failures": dict(list(failures.items())[:20]),
        "not_present_rows": len(set(values) - {o.raw_index for o in onus}),
    }
    if not onus:
        summary["note"] = "no present ONUs on this OLT: run a discovery job first"
    return summary
