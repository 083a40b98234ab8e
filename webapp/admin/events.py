"""ONU events: what changed, when and where (filters by OLT, PON, kind and time)."""

from __future__ import annotations

import json

from flask import url_for
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from history.events import KINDS
from webapp.admin.base import ReadOnlyModelView, badge, local_time
from webapp.extensions import db
from webapp.models import OnuEvent

# How bad a kind of event is, for its badge
SEVERITY = {
    "offline": "danger",
    "absent": "secondary",
    "rx_critical": "danger",
    "rx_low": "warning",
    "rx_overload": "warning",
    "swapped": "warning",
    "moved": "info",
    "online": "success",
    "reappeared": "success",
    "rx_normal": "success",
    "appeared": "info",
}
TIMELINE = 20  # events shown on an ONU's page


def _kind(view, context, model, name):
    return badge(model.kind, SEVERITY.get(model.kind, "light"))


def _detail(view, context, model, name):
    if not model.detail:
        return ""
    return ", ".join(f"{k}: {v}" for k, v in model.detail.items())


def _onu(view, context, model, name):
    if model.onu_id is None:
        return model.position
    href = url_for("onu.details_view", id=model.onu_id)
    return Markup('<a href="{}">{}</a>').format(href, model.position)


class EventView(ReadOnlyModelView):
    """Every change the polls saw, newest first."""

    column_list = ("at", "olt", "pon", "position", "kind", "detail")
    column_default_sort = ("id", True)
    named_filter_urls = True  # ?flt0_kind_equals=offline: links that survive new filters
    column_searchable_list = ("position",)
    column_filters = (
        "olt.name",
        "pon",
        FilterEqual(OnuEvent.kind, _l("Kind"), options=[(k, k) for k in KINDS]),
        "at",
        "onu_id",
    )
    column_formatters = {"kind": _kind, "detail": _detail, "position": _onu}
    column_labels = {
        "at": _l("When"),
        "olt": _l("OLT"),
        "pon": _l("PON"),
        "position": _l("ONU"),
        "kind": _l("Kind"),
        "detail": _l("Detail"),
        "olt.name": _l("OLT"),
        "onu_id": _l("ONU id"),
    }
    can_export = True
    column_export_list = ("at", "olt", "pon", "position", "kind", "detail")
    column_formatters_export = {
        "kind": lambda v, c, m, n: m.kind,
        "detail": lambda v, c, m, n: json.dumps(m.detail or {}, ensure_ascii=False),
        "position": lambda v, c, m, n: m.position,
    }


def timeline(view, context, model, name) -> Markup:
    """An ONU's latest events, for its page, with a link to all of them."""
    rows = db.session.scalars(
        select(OnuEvent)
        .where(OnuEvent.onu_id == model.id)
        .order_by(OnuEvent.id.desc())
        .limit(TIMELINE)
    ).all()
    if not rows:
        return Markup("<em>{}</em>").format(_l("no events yet"))
    items = Markup("").join(
        Markup("<li>{} {} {}</li>").format(
            local_time(e.at), badge(e.kind, SEVERITY.get(e.kind, "light")),
            escape(_detail(None, None, e, "detail")),
        )
        for e in rows
    )  # fmt: skip
    href = url_for("onuevent.index_view", flt0_onu_id_equals=model.id)
    more = Markup('<a href="{}">{}</a>').format(href, _l("all events of this ONU"))
    return Markup('<ul class="list-unstyled mb-1">{}</ul>{}').format(items, more)
