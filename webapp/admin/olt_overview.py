"""The OLT page's overview: each PON with its online, offline and low-signal ONUs, and the
OLT's active alarms, each linking to the lists behind it."""

from __future__ import annotations

from sqlalchemy import select

from jobs.onu_history import olt_rules
from snmp.profiles import profile_for
from webapp.extensions import db
from webapp.models import Alarm, Olt, Onu


def _online_values(olt: Olt) -> set[int]:
    profile = profile_for(olt.profile_key)
    if profile is None:
        return set()
    return {v for c in profile.candidates("state") for v in c.online}


def pons(olt: Olt) -> list[dict]:
    """Per PON (frame/slot/port): ONUs present, online, offline and with rx below warning."""
    online = _online_values(olt)
    warning = olt_rules(olt.id).rx_warning
    rows = db.session.execute(
        select(Onu.frame, Onu.slot, Onu.port, Onu.present, Onu.state_value, Onu.rx_power_dbm).where(
            Onu.olt_id == olt.id
        )
    )
    out: dict[tuple, dict] = {}
    for frame, slot, port, present, state, rx in rows:
        key = (frame or 0, slot, port)
        pon = out.setdefault(key, dict(frame=key[0], slot=slot, port=port, present=0, online=0,
                                       offline=0, low=0, absent=0))  # fmt: skip
        if not present:
            pon["absent"] += 1
            continue
        pon["present"] += 1
        if state is not None and online:
            pon["online" if state in online else "offline"] += 1
        if rx is not None and rx < warning:
            pon["low"] += 1
    return [out[k] for k in sorted(out, key=lambda k: tuple(-1 if x is None else x for x in k))]


def active_alarms(olt: Olt) -> list[Alarm]:
    """The OLT's active alarms that are not grouped under an outage, newest first."""
    return db.session.scalars(
        select(Alarm)
        .where(Alarm.olt_id == olt.id, Alarm.status == "active", Alarm.parent_id.is_(None))
        .order_by(Alarm.raised_at.desc())
        .limit(50)
    ).all()
