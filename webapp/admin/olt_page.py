"""The OLT list's extra columns: last poll and its result, reachability, ONU counts.

Computed for the whole page in a fixed number of queries, whatever the page size: the last
finished execution of each OLT (two statements, each OLT's newest found through the
(olt_name, created_at) index), the open "OLT unreachable" alarms, and the ONU counts (the OLTs'
profiles and alarm rules, then one grouped count of the page's ONUs). The counts read every ONU
of the page's OLTs, so each process keeps them up to ONU_COUNTS_TTL_S (as the home page does).
bench/olt_list.py: 7 statements with the counts computed, 3 with them cached, at 50 OLTs a page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, case, func, or_, select

from history.alarms import OLT_DOWN, OPEN
from jobs.messages import execution_error
from snmp.profiles import profile_for
from webapp.admin.base import badge, local_time
from webapp.admin.executions import STATUS_KINDS
from webapp.admin.onu_filters import olt_profiles, rules_by_olt
from webapp.extensions import db
from webapp.models import Alarm, Execution, Olt, Onu
from webapp.models.executions import TERMINAL

ONU_COUNTS_TTL_S = 60


@dataclass
class OltFacts:
    """What the list shows of one OLT beyond its own columns."""

    last: Execution | None = None
    unreachable: bool = False
    onus: dict = field(default_factory=lambda: {"present": 0, "offline": 0, "low": 0})


def _last_executions(olts: list[Olt]) -> dict[int, Execution]:
    newest = (
        select(Execution.id)
        .where(
            Execution.olt_name == Olt.name,
            Execution.olt_id == Olt.id,
            Execution.status.in_(TERMINAL),
        )
        .order_by(Execution.created_at.desc())
        .limit(1)
        .correlate(Olt)
        .scalar_subquery()
    )
    ids = db.session.scalars(
        select(newest).select_from(Olt).where(Olt.id.in_([o.id for o in olts]))
    ).all()
    rows = db.session.scalars(select(Execution).where(Execution.id.in_([i for i in ids if i])))
    return {e.olt_id: e for e in rows}


def _unreachable(olt_ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(Alarm.olt_id)
            .where(Alarm.olt_id.in_(olt_ids), Alarm.kind == OLT_DOWN, Alarm.status.in_(OPEN))
            .distinct()
        )
    )


def _onu_counts(olt_ids: list[int]) -> dict[int, dict]:
    cache = current_app.extensions.setdefault("oltwatch_olt_list_onus", {})
    key, now = tuple(sorted(olt_ids)), time.monotonic()
    hit = cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    offline, low = [], []
    profiles = olt_profiles()
    for olt_id, rules in rules_by_olt(olt_ids).items():
        low.append(and_(Onu.olt_id == olt_id, Onu.rx_power_dbm < rules.rx_warning))
        profile = profile_for(profiles.get(olt_id))
        online = {v for c in profile.candidates("state") for v in c.online} if profile else ()
        if online:
            offline.append(and_(Onu.olt_id == olt_id, Onu.state_value.not_in(sorted(online))))

    def _count(*conditions):
        return func.sum(case((and_(Onu.present.is_(True), *conditions), 1), else_=0))

    rows = db.session.execute(
        select(
            Onu.olt_id,
            _count(),
            _count(or_(*offline)) if offline else func.sum(0),
            _count(or_(*low)) if low else func.sum(0),
        )
        .where(Onu.olt_id.in_(olt_ids))
        .group_by(Onu.olt_id)
    )
    counts = {i: {"present": p or 0, "offline": o or 0, "low": lo or 0} for i, p, o, lo in rows}
    if len(cache) > 256:  # pages change with filters and sorting: keep the cache small
        cache.clear()
    cache[key] = (now + ONU_COUNTS_TTL_S, counts)
    return counts


def facts(olts: list[Olt]) -> dict[int, OltFacts]:
    """The page's OLTs' last poll, reachability and ONU counts, by OLT id."""
    if not olts:
        return {}
    ids = [o.id for o in olts]
    last = _last_executions(olts)
    down = _unreachable(ids)
    counts = _onu_counts(ids)
    return {
        i: OltFacts(last=last.get(i), unreachable=i in down, onus=counts.get(i, OltFacts().onus))
        for i in ids
    }


def last_poll_cell(fact: OltFacts | None) -> Markup | str:
    """The last finished execution: its time and its result, linked to it."""
    ex = fact.last if fact else None
    if ex is None:
        return badge(_("never polled"), "light")
    url = url_for("execution.details_view", id=ex.id)
    return Markup('{} <a href="{}" title="{}">{}</a>').format(
        local_time(ex.finished_at or ex.created_at),
        url,
        execution_error(ex) or ex.job_name,
        badge(ex.status, STATUS_KINDS.get(ex.status, "light")),
    )


def reachability_cell(fact: OltFacts | None) -> Markup:
    """Unreachable (an open alarm), answering (last run succeeded), failing, or unknown."""
    if fact is None or (fact.last is None and not fact.unreachable):
        return badge(_("unknown"), "light")
    if fact.unreachable:
        return badge(_("unreachable"), "danger")
    if fact.last.status == "SUCCESS":
        return badge(_("answering"), "success")
    return badge(_("failing"), "warning")


def onus_cell(olt: Olt, fact: OltFacts | None) -> Markup:
    """Present, offline and low-signal ONUs, each a link to the ONU list filtered so."""
    counts = fact.onus if fact else OltFacts().onus
    base = {"flt0_olt_equals": olt.name}
    parts = (
        (counts["present"], _("present"), "secondary", base),
        (counts["offline"], _("offline"), "danger", {**base, "flt1_offline_equals": 1}),
        (counts["low"], _("low signal"), "warning", {**base, "flt1_low_signal_equals": 1}),
    )
    return Markup(" ").join(
        Markup('<a class="badge badge-{} onus-{}" href="{}" title="{}">{}</a>').format(
            kind if n else "light", i, url_for("onu.index_view", **args), label, n
        )
        for i, (n, label, kind, args) in enumerate(parts)
    )
