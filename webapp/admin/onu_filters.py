"""The ONU list's pick lists, quick filters ("offline", "low signal") and signal colours.

Everything here costs a fixed number of small queries per page (OLTs, alarm rules, state
labels), never one per row: "offline" and "low signal" depend on each OLT's profile and alarm
rules, so they become ``olt_id IN (…) AND …`` per group of OLTs that share them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

from flask import current_app, g, has_request_context, request
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, or_, select

from history.alarms import OVERRIDABLE, Rules
from jobs.onu_history import base_rules
from snmp.profiles import PROFILES, profile_for
from webapp.extensions import db
from webapp.models import AlarmRule, Brand, Olt, OltModel, Onu, StateLabel

PON_OPTIONS_TTL_S = 60


def olt_profiles() -> dict[int, str | None]:
    """Each OLT's profile key (its model's, else its brand's), in one query per request
    (a page's counts and its alarm rules both ask)."""
    cached = getattr(request, "oltwatch_profiles", None) if has_request_context() else None
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(Olt.id, OltModel.profile_key, Brand.profile_key)
        .outerjoin(OltModel, OltModel.id == Olt.model_id)
        .outerjoin(Brand, Brand.id == Olt.brand_id)
    )
    profiles = {olt_id: model_key or brand_key for olt_id, model_key, brand_key in rows}
    if has_request_context():
        request.oltwatch_profiles = profiles
    return profiles


def rules_by_olt(olt_ids=None) -> dict[int, Rules]:
    """The alarm rules in effect on each OLT (as jobs.onu_history.olt_rules), in two queries."""
    profiles = olt_profiles()
    if olt_ids is not None:
        profiles = {i: p for i, p in profiles.items() if i in set(olt_ids)}
    rows = db.session.scalars(select(AlarmRule)).all()  # a handful of rows
    by_profile = {r.profile_key: r for r in rows if r.olt_id is None and r.profile_key}
    by_olt = {r.olt_id: r for r in rows if r.olt_id is not None}
    base = base_rules()
    out = {}
    for olt_id, profile in profiles.items():
        rules = base
        for row in (by_profile.get(profile), by_olt.get(olt_id)):  # the OLT's own last
            if row is not None:
                rules = replace(
                    rules,
                    **{k: getattr(row, k) for k in OVERRIDABLE if getattr(row, k) is not None},
                )
        out[olt_id] = rules
    return out


def signal(rx: float | None, rules: Rules) -> tuple[str, str]:
    """(kind, why) of an rx reading against the thresholds: critical, warning, overload, ok."""
    if rx is None:
        return "", ""
    if rx < rules.rx_critical:
        return "critical", _("below %(dbm)s dBm: critical", dbm=rules.rx_critical)
    if rx < rules.rx_warning:
        return "warning", _("below %(dbm)s dBm: warning", dbm=rules.rx_warning)
    if rx > rules.rx_overload:
        return "overload", _("above %(dbm)s dBm: overload", dbm=rules.rx_overload)
    return "ok", _("within the thresholds")


def tx_signal(tx: float | None, rules: Rules) -> tuple[str, str]:
    """(kind, why) of an ONU's tx reading against its range: low, high or ok."""
    if tx is None:
        return "", ""
    if tx < rules.tx_low:
        return "low", _("below %(dbm)s dBm: the ONU's laser is weak", dbm=rules.tx_low)
    if tx > rules.tx_high:
        return "high", _("above %(dbm)s dBm: the ONU's laser is too strong", dbm=rules.tx_high)
    return "ok", _("within the range")


def page_rules(olt_ids) -> dict[int, Rules]:
    """The rules of the OLTs on this page, computed once per request."""
    cached = g.get("onu_page_rules")
    if cached is None or not set(olt_ids) <= set(cached):
        cached = g.onu_page_rules = rules_by_olt(olt_ids)
    return cached


def state_options(view=None) -> list[tuple[str, str]]:
    """Every state label the profiles and the state-label table know (small, no ONU scan)."""
    labels = {
        label
        for p in PROFILES.values()
        for c in p.candidates("state")
        for label in (c.labels or {}).values()
    }
    labels |= set(db.session.scalars(select(StateLabel.label).distinct()))
    return [(label, label) for label in sorted(labels, key=str.lower)]


def pon_options(view=None) -> list[tuple[str, str]]:
    """The PONs (frame/slot/port) that have ONUs, counted at most once a minute per process."""
    cache = current_app.extensions.setdefault("oltwatch_onu_pons", {})
    now = time.monotonic()
    if cache.get("until", 0) <= now:
        rows = db.session.execute(
            select(Onu.frame, Onu.slot, Onu.port).where(Onu.slot.is_not(None)).distinct()
        ).all()
        pons = sorted({(f or 0, s, p if p is not None else -1) for f, s, p in rows})
        cache.update(rows=[_pon_text(*k) for k in pons], until=now + PON_OPTIONS_TTL_S)
    return [(t, t) for t in cache["rows"]]


def _pon_text(frame, slot, port) -> str:
    return f"{frame}/{slot}/{port}" if port >= 0 else f"{frame}/{slot}"


class LazyOptions:
    """Options computed when the list renders: Flask-Admin asks for them once, at start-up."""

    def __init__(self, make):
        self.make = make

    def __iter__(self):
        return iter(self.make())

    def __bool__(self) -> bool:
        return True


class StateFilter(sqla_filters.FilterEqual):
    """The state as a pick list (the labels the profiles know)."""

    url_name = "state label"  # ?flt0_state_label_equals=LOS, as before the pick list

    def get_options(self, view):
        return LazyOptions(state_options)


class PresenceFilter(sqla_filters.BooleanEqualFilter):
    """Present or absent, in words."""

    def get_options(self, view):
        return [("1", _l("present")), ("0", _l("absent"))]


class PonFilter(sqla_filters.BaseSQLAFilter):
    """One PON, picked from those that have ONUs."""

    def __init__(self, name):
        super().__init__(Onu.slot, name)

    def get_options(self, view):
        return LazyOptions(pon_options)

    def validate(self, value) -> bool:
        parts = str(value).split("/")
        return 2 <= len(parts) <= 3 and all(p.isdigit() and len(p) < 6 for p in parts)

    def apply(self, query, value, alias=None):
        frame, slot, *port = (int(p) for p in value.split("/"))
        where = [Onu.slot == slot, Onu.port == port[0] if port else Onu.port.is_(None)]
        where.append(Onu.frame.is_(None) | (Onu.frame == 0) if frame == 0 else Onu.frame == frame)
        return query.filter(and_(*where))

    def operation(self):
        return _l("equals")


class _QuickFilter(sqla_filters.BaseSQLAFilter):
    """A yes-only filter whose condition depends on each OLT's profile or rules."""

    def __init__(self, name):
        super().__init__(Onu.present, name)

    def get_options(self, view):
        return [("1", _l("yes"))]

    def validate(self, value) -> bool:
        return value == "1"

    def operation(self):
        return _l("equals")

    def apply(self, query, value, alias=None):
        groups = [and_(Onu.olt_id.in_(ids), cond) for ids, cond in self.groups() if ids]
        return query.filter(Onu.present.is_(True), or_(*groups) if groups else false())


class OfflineFilter(_QuickFilter):
    """Present ONUs whose state is not one their OLT's profile calls online."""

    url_name = "offline"

    def groups(self):
        olts = defaultdict(list)
        for olt_id, key in olt_profiles().items():
            olts[key].append(olt_id)
        for key, ids in olts.items():
            profile = profile_for(key)
            online = {v for c in profile.candidates("state") for v in c.online} if profile else ()
            if online:
                yield ids, Onu.state_value.is_not(None) & Onu.state_value.not_in(sorted(online))


class LowSignalFilter(_QuickFilter):
    """Present ONUs whose rx is below their OLT's warning threshold."""

    url_name = "low signal"

    def groups(self):
        olts = defaultdict(list)
        for olt_id, rules in rules_by_olt().items():
            olts[rules.rx_warning].append(olt_id)
        for warning, ids in olts.items():
            yield ids, Onu.rx_power_dbm < warning
