"""The ONU inventory list: a million rows, searched, filtered and counted cheaply."""

from __future__ import annotations

from flask import g, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from webapp.admin import onu_chart
from webapp.admin.base import EqualsFirstConverter, ReadOnlyModelView, badge
from webapp.admin.counts import CheapCount
from webapp.admin.events import timeline
from webapp.admin.onu_filters import (
    LowSignalFilter,
    OfflineFilter,
    PonFilter,
    PresenceFilter,
    StateFilter,
    page_rules,
    rules_by_olt,
    signal,
    tx_signal,
)
from webapp.models import Onu
from webapp.models.inventory import ONU_SEARCH_COLUMNS


def _presence(view, context, model, name):
    return badge(_("present"), "success") if model.present else badge(_("absent"), "secondary")


SIGNAL_CLASSES = {
    "critical": "text-danger font-weight-bold",
    "warning": "text-warning font-weight-bold",
    "overload": "text-danger",
    "ok": "text-success",
}


TX_CLASSES = {"low": "text-warning font-weight-bold", "high": "text-warning", "ok": "text-success"}


def _against_rules(judge, classes: dict, css: str):
    """A column formatter: the reading coloured by `judge(value, the OLT's rules)`."""

    def formatter(view, context, model, name):
        value = getattr(model, name)
        if value is None:
            return ""
        rules = page_rules([model.olt_id]).get(model.olt_id)
        if rules is None:
            return f"{value:.2f}"
        kind, why = judge(value, rules)
        return Markup('<span class="signal {}-{} {}" title="{}">{:.2f}</span>').format(
            css, kind, classes[kind], why, value
        )

    return formatter


# rx against the OLT's alarm thresholds: red below critical, amber below warning
_rx = _against_rules(signal, SIGNAL_CLASSES, "signal")
# the ONU's tx against its range (the OLT's alarm rules): amber outside it
_tx = _against_rules(tx_signal, TX_CLASSES, "signal-tx")


def _dbm(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else f"{value:.2f}"


class OnuView(CheapCount, ReadOnlyModelView):
    """The ONU inventory: one row per ONU per OLT, identified by its position."""

    filter_converter = EqualsFirstConverter()

    details_template = "admin/onu_details.html"
    list_template = "admin/onu_list.html"
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
        "tx_power_dbm",
        "online_since",
        "last_seen_at",
    )
    column_details_exclude_list = ("collected",)
    column_formatters_detail = {
        "present": _presence,
        "events": timeline,
        "rx_power_dbm": _rx,
        "tx_power_dbm": _tx,
        "olt_rx_power_dbm": _dbm,
    }
    column_searchable_list = ONU_SEARCH_COLUMNS  # what the trigram index holds (PostgreSQL)
    column_filters = (
        "olt.name",
        PresenceFilter(Onu.present, _l("Presence")),
        StateFilter(Onu.state_label, _l("State")),
        PonFilter(_l("PON")),
        OfflineFilter(_l("Offline")),
        LowSignalFilter(_l("Low signal")),
        "slot",  # slot and port: the OLT page's links to a PON (?flt1_slot_equals=…)
        "port",
        "last_down_cause",
    )
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
    column_formatters = {"present": _presence, "rx_power_dbm": _rx, "tx_power_dbm": _tx}
    column_formatters_export = {"present": _presence}  # rx and tx stay numbers in the CSV
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

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page, and the alarm rules of its OLTs for the rx colours (two queries)."""
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute, page_size
        )
        if execute:
            g.onu_page_rules = rules_by_olt({row.olt_id for row in rows})
        return count, rows

    def get_details_columns(self):
        """The ONU's columns, then its latest events (its timeline)."""
        return [*super().get_details_columns(), ("events", _l("Events"))]
