"""Access control and shared formatting for every admin view."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import fields, widgets
from wtforms.fields.choices import SelectChoice


class Select(widgets.Select):
    """wtforms' Select, with the input_type that Flask-Admin's field template reads.

    Flask-Admin 2.2.1 reads ``field.widget.input_type`` to render a field's description, which
    a select lacks: with StrictUndefined templates that is an error.
    """

    input_type = "select"


def local_time(value: datetime | None) -> str:
    """Format a UTC datetime in the configured time zone."""
    if value is None:
        return ""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _datetime_formatter(view, value, name=None):
    return local_time(value)


def _dict_formatter(view, value, name=None):
    return Markup("<code>{}</code>").format(json.dumps(value, ensure_ascii=False, sort_keys=True))


TYPE_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
TYPE_FORMATTERS.update({datetime: _datetime_formatter, dict: _dict_formatter})

# CSV injection (OWASP "CSV Injection"): a spreadsheet runs a cell that begins with one of
# these as a formula. Text that is only a number ("-24.81", "-3") is not a formula and stays
# as it is, so that the spreadsheet still reads it as a number.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def csv_text(value) -> str:
    """Text for a CSV cell that a spreadsheet shows and never runs: a leading ' if needed."""
    text = value.striptags() if isinstance(value, Markup) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _export_number(view, value, name=None):
    return value  # numbers stay numbers (rx power -24.81 is not a formula)


def _export_text(view, value, name=None):
    return csv_text(value)


def _export_list(view, value, name=None):
    return csv_text(", ".join(str(v) for v in value))


def _export_dict(view, value, name=None):
    return csv_text(json.dumps(value, ensure_ascii=False, sort_keys=True))


# Flask-Admin's export hook: the first type that matches a value formats it, after any
# column formatter ran (so the badges and <pre> of column_formatters lose their markup here).
# Every other object (an OLT in the ONU list…) is exported as its text, neutralised too.
EXPORT_TYPE_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: _export_number,
    int: _export_number,
    float: _export_number,
    Decimal: _export_number,
    datetime: _datetime_formatter,
    Markup: _export_text,
    str: _export_text,
    Enum: lambda view, value, name=None: csv_text(value.name),
    list: _export_list,
    tuple: _export_list,
    dict: _export_dict,
    object: _export_text,
}


def _localize(value):
    """Read a date typed in a filter as local time (the zone the lists are shown in)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=tz)
    if isinstance(value, list | tuple):
        return [_localize(v) for v in value]
    return value


def _local_filter(cls):
    return type(cls.__name__, (cls,), {"clean": lambda self, v: _localize(cls.clean(self, v))})


class FilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's filters, also for our UTCDateTime columns, with dates in local time."""

    datetime_filters = tuple(
        _local_filter(c) for c in sqla_filters.FilterConverter.datetime_filters
    )

    def convert(self, type_name, column, name, **kwargs):
        if type_name.lower() == "utcdatetime":
            type_name = "datetime"
        return super().convert(type_name, column, name, **kwargs)


class ModelConverter(AdminModelConverter):
    """Flask-Admin's form converter, plus floats.

    SQLAlchemy 2.1's Float/Double no longer derive from Numeric, which is all Flask-Admin
    2.2.1 converts, so float columns silently vanished from the forms.
    """

    @converts("Float", "Double")
    def conv_float(self, field_args, **extra):
        return fields.FloatField(**field_args)


class StaffAccess:
    """Only active staff users see these views; others go to the login page or get 403."""

    def is_accessible(self) -> bool:
        return bool(
            current_user.is_authenticated and current_user.is_active and current_user.is_staff
        )

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return abort(403)


class SuperuserAccess(StaffAccess):
    """Only superusers see these views."""

    def is_accessible(self) -> bool:
        return super().is_accessible() and bool(current_user.is_superuser)


class StaffModelView(StaffAccess, ModelView):
    """A model view for staff, with times in the configured zone and page sizes for NOCs."""

    filter_converter = FilterConverter()
    model_form_converter = ModelConverter
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    page_size = 50
    can_set_page_size = True
    can_view_details = True


class ReadOnlyModelView(StaffModelView):
    """A list that staff can read, filter and export but not change."""

    can_create = False
    can_edit = False
    can_delete = False
    action_disallowed_list = ["delete"]


class StaffIndexView(StaffAccess, AdminIndexView):
    """The admin home page, for staff only."""


def choices(*pairs) -> list[SelectChoice]:
    """Select options from values (label = value) or (value, label) pairs."""
    return [SelectChoice(*p) if isinstance(p, tuple) else SelectChoice(p, p) for p in pairs]


def badge(text: str, kind: str) -> Markup:
    """Return a Bootstrap badge."""
    return Markup('<span class="badge badge-{}">{}</span>').format(kind, escape(text))
