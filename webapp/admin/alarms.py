"""Alarms (with acknowledge), alarm rules per profile or OLT, and notification deliveries."""

from __future__ import annotations

import re

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms.validators import URL, Optional

from history import alarms
from webapp.admin.base import ReadOnlyModelView, StaffModelView, badge
from webapp.extensions import db
from webapp.models import Alarm
from webapp.models.base import utcnow

EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")
SEVERITY = {"critical": "danger", "major": "warning", "warning": "warning"}
STATUS = {"active": "danger", "pending": "secondary", "cleared": "success"}


def _severity(view, context, model, name):
    return badge(model.severity, SEVERITY.get(model.severity, "light"))


def _status(view, context, model, name):
    text = model.status + (" ✓" if model.acknowledged_at else "")
    return badge(text, STATUS.get(model.status, "light"))


def _what(view, context, model, name):
    detail = model.detail or {}
    parts = [model.kind.replace("_", " ")]
    if "probable_cause" in detail:
        parts.append(f"({detail['probable_cause']}, {detail.get('onus_down')} ONUs)")
    elif "rx_dbm" in detail:
        parts.append(f"{detail['rx_dbm']} dBm")
    elif detail.get("cause"):
        parts.append(str(detail["cause"]))
    if model.flaps:
        parts.append(ngettext("flapped %(num)d time", "flapped %(num)d times", model.flaps))
    return " ".join(parts)


def _where(view, context, model, name):
    if model.onu_id is not None:
        href = url_for("onu.details_view", id=model.onu_id)
        return Markup('<a href="{}">{}</a>').format(href, model.position)
    return model.pon or ""


class AlarmView(ReadOnlyModelView):
    """Alarms, active first: acknowledge them; they clear by themselves."""

    column_list = ("status", "severity", "olt", "pon", "position", "kind", "since", "raised_at",
                   "acknowledged_by", "cleared_at")  # fmt: skip
    column_default_sort = [("status", False), ("id", True)]
    named_filter_urls = True
    column_filters = (
        FilterEqual(
            Alarm.status, _l("Status"), options=[(s, s) for s in (*alarms.OPEN, "cleared")]
        ),
        FilterEqual(Alarm.kind, _l("Kind"), options=[(k, k) for k in alarms.KINDS]),
        FilterEqual(Alarm.severity, _l("Severity"), options=[(s, s) for s in SEVERITY]),
        "olt.name",
        "pon",
        "since",
        "parent_id",
    )
    column_formatters = {
        "severity": _severity,
        "status": _status,
        "kind": _what,
        "position": _where,
    }
    column_labels = {
        "status": _l("Status"),
        "severity": _l("Severity"),
        "olt": _l("OLT"),
        "olt.name": _l("OLT"),
        "pon": _l("PON"),
        "position": _l("ONU"),
        "kind": _l("Alarm"),
        "since": _l("Since"),
        "raised_at": _l("Raised"),
        "acknowledged_by": _l("Acknowledged by"),
        "cleared_at": _l("Cleared"),
        "parent_id": _l("Part of alarm"),
    }
    can_export = True

    @action("acknowledge", _l("Acknowledge selected alarms"))
    def action_acknowledge(self, ids):
        n = alarms.acknowledge(db.session, [int(i) for i in ids], current_user.id, utcnow())
        db.session.commit()
        flash(
            ngettext("%(num)d alarm acknowledged", "%(num)d alarms acknowledged", n),
            "success" if n else "warning",
        )


class AlarmRuleView(StaffModelView):
    """Thresholds and recipients for a profile's OLTs or for one OLT (empty: inherited)."""

    column_list = ("olt", "profile_key", "rx_warning", "rx_critical", "rx_overload", "tx_low",
                   "tx_high", "offline_minutes", "olt_failed_polls", "pon_outage_min", "emails",
                   "webhook_url")  # fmt: skip
    form_columns = column_list
    column_labels = {
        "olt": _l("OLT"),
        "profile_key": _l("Profile"),
        "rx_warning": _l("Rx warning below (dBm)"),
        "rx_critical": _l("Rx critical below (dBm)"),
        "rx_overload": _l("Rx overload above (dBm)"),
        "tx_low": _l("ONU tx low below (dBm)"),
        "tx_high": _l("ONU tx high above (dBm)"),
        "offline_minutes": _l("ONU offline for (minutes)"),
        "olt_failed_polls": _l("OLT failed polls"),
        "pon_outage_min": _l("PON outage: ONUs down at least"),
        "emails": _l("E-mail to (comma-separated)"),
        "webhook_url": _l("Webhook URL"),
    }
    form_args = {"webhook_url": {"validators": [Optional(), URL(require_tld=False)]}}

    def on_model_change(self, form, model, is_created):
        from wtforms import ValidationError

        if (model.olt_id is None and model.olt is None) == (not model.profile_key):
            raise ValidationError(_("Give an OLT or a profile (one of the two)."))
        for address in (model.emails or "").split(","):
            address = address.strip()
            if address and not EMAIL.fullmatch(address):
                raise ValidationError(_("Not an e-mail address: %(a)s", a=address))
        for field, low, high in (("offline_minutes", 0, 10080), ("olt_failed_polls", 1, 1000),
                                 ("pon_outage_min", 1, 10000)):  # fmt: skip
            value = getattr(model, field)
            if value is not None and not low <= value <= high:
                raise ValidationError(_("%(f)s must be %(a)d to %(b)d", f=field, a=low, b=high))
        if None not in (model.tx_low, model.tx_high) and model.tx_low >= model.tx_high:
            raise ValidationError(_("The ONU tx range needs low below high."))


class NotificationView(ReadOnlyModelView):
    """Every message sent about an alarm, and how its delivery went."""

    column_list = ("created_at", "alarm", "channel", "target", "status", "attempts",
                   "last_error", "sent_at")  # fmt: skip
    column_default_sort = ("id", True)
    column_filters = ("status", "channel", "created_at")
    column_labels = {
        "created_at": _l("Created"),
        "alarm": _l("Alarm"),
        "channel": _l("Channel"),
        "target": _l("To"),
        "status": _l("Status"),
        "attempts": _l("Tries"),
        "last_error": _l("Last error"),
        "sent_at": _l("Sent"),
    }
    column_formatters = {
        "alarm": lambda v, c, m, n: Markup('<a href="{}">#{}</a>').format(
            url_for("alarm.details_view", id=m.alarm_id), m.alarm_id
        )
    }


__all__ = ["AlarmRuleView", "AlarmView", "NotificationView"]
