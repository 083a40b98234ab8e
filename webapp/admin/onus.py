"""The ONU inventory list: a million rows, searched, filtered and counted cheaply."""

from __future__ import annotations

from flask import request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin import onu_chart
from webapp.admin.base import EqualsFirstConverter, ReadOnlyModelView, badge
from webapp.admin.counts import CheapCount
from webapp.admin.events import timeline
from webapp.models.inventory import ONU_SEARCH_COLUMNS


def _presence(view, context, model, name):
    return badge(_("present"), "success") if model.present else badge(_("absent"), "secondary")


class OnuView(CheapCount, ReadOnlyModelView):
    """The ONU inventory: one row per ONU per OLT, identified by its position."""

    filter_converter = EqualsFirstConverter()

    details_template = "admin/onu_details.html"
    column_list = (
        "olt",
        "position",
        "present",
        "state_label",
        "serial",
        "name",
        "description",
        "onu_model",
        "distance_m",
        "rx_power_dbm",
        "online_since",
        "last_seen_at",
    )
    column_details_exclude_list = ("collected",)
    column_formatters_detail = {"present": _presence, "events": timeline}
    column_searchable_list = ONU_SEARCH_COLUMNS  # what the trigram index holds (PostgreSQL)
    column_filters = ("olt.name", "present", "state_label", "slot", "port", "last_down_cause")
    named_filter_urls = True  # ?flt0_olt_equals=…&flt1_slot_equals=…: the OLT page links PONs
    column_sortable_list = (
        "position",
        "present",
        "state_label",
        "serial",
        "name",
        "last_seen_at",
        ("olt", "olt.name"),
        "distance_m",
        "rx_power_dbm",
        "online_since",
    )
    column_default_sort = [
        ("olt_id", False),
        ("frame", False),
        ("slot", False),
        ("port", False),
        ("onu_id", False),
        ("position", False),
    ]
    column_formatters = {"present": _presence}
    column_labels = {
        "position": _l("Position"),
        "name": _l("Name"),
        "distance_m": _l("Distance (m)"),
        "rx_power_dbm": _l("Rx (dBm)"),
        "tx_power_dbm": _l("Tx (dBm)"),
        "olt_rx_power_dbm": _l("OLT Rx (dBm)"),
        "online_since": _l("Online since"),
        "last_down_cause": _l("Last down cause"),
        "olt.name": _l("OLT"),
        "slot": _l("Slot"),
        "port": _l("Port"),
    }
    can_export = True

    @expose("/history/")
    def history_view(self):
        """rx/tx samples, thresholds and state changes for the ONU page's chart (JSON)."""
        return onu_chart.response(request.args)

    def get_details_columns(self):
        """The ONU's columns, then its latest events (its timeline)."""
        return [*super().get_details_columns(), ("events", _("Events"))]
