"""Access control and shared formatting for every admin view."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_admin import babel as admin_babel
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_babel import format_datetime, format_decimal, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from wtforms import fields, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange

from webapp.admin.guards import (
    JSONField,
    clean_list_args,
    finite,
    nul_fields,
    parse_id,
    parse_ids,
    typed_widgets,
)
from webapp.admin.labels import LABELS
from webapp.extensions import db

log = logging.getLogger(__name__)


class Select(widgets.Select):
    """wtforms' Select, with the input_type that Flask-Admin's field template reads.

    Flask-Admin 2.2.1 reads ``field.widget.input_type`` to render a field's description, which
    a select lacks: with StrictUndefined templates that is an error.
    """

    input_type = "select"


def local_time(value: datetime | None) -> str:
    """A UTC datetime in the configured time zone (Flask-Babel's, set from TIMEZONE), as
    year-month-day and 24-hour time: one sortable form in every language."""
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss")


def seconds(value: float | None, digits: int = 1) -> str:
    """A duration in seconds with its unit, in the reader's number format: "12.3 s" in
    English, "12,3 s" in Spanish (Flask-Babel's format_decimal)."""
    if value is None:
        return ""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return f"{format_decimal(value, format=pattern)} s"


def time_ago(value_s: float | None) -> str:
    """How long ago, in words of the reader's language ("5 seconds ago", "hace 5 segundos")."""
    if value_s is None:
        return ""
    return format_timedelta(
        timedelta(seconds=-value_s), granularity="second", threshold=1.5, add_direction=True
    )


def uptime_words(value_s: float | None) -> str:
    """An agent's uptime in words and in seconds: "3 weeks (1,814,400 s)"."""
    if value_s is None:
        return ""
    words = format_timedelta(timedelta(seconds=value_s), threshold=2)
    return f"{words} ({format_decimal(value_s, format='#,##0')} s)"


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


class EqualsFirstConverter(FilterConverter):
    """Text filters with "equals" first, the one a list's indexes serve (the default in the
    filter menu; Flask-Admin puts "contains" first, which reads the whole table)."""

    strings = (
        sqla_filters.FilterEqual,
        sqla_filters.FilterLike,
        sqla_filters.FilterNotEqual,
        sqla_filters.FilterNotLike,
        sqla_filters.FilterEmpty,
        sqla_filters.FilterInList,
        sqla_filters.FilterNotInList,
    )


class ModelConverter(AdminModelConverter):
    """Flask-Admin's form converter, plus floats, and numbers that fit their columns.

    SQLAlchemy 2.1's Float/Double no longer derive from Numeric, which is all Flask-Admin
    2.2.1 converts, so float columns silently vanished from the forms. A float field takes
    "nan" and "inf"; an integer past its column's range is a database error (a 500).
    """

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        """A relation's select, whose empty choice reads "(none)" (wtforms 3.3 shows the
        value of an option without text: Flask-Admin's "__None")."""
        field = super()._model_select_field(prop, multiple, remote_model, **kwargs)
        if field.field_class is QuerySelectField:
            field.kwargs.setdefault("blank_text", _l("(none)"))
        return field

    @converts("Float", "Double")
    def conv_float(self, field_args, **extra):
        field_args["validators"].append(finite)
        return fields.FloatField(**field_args)

    @converts("Integer")  # the name Flask-Admin registers it under, so that this one wins
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].append(NumberRange(-(2**31), 2**31 - 1))
        return super().handle_integer_types(column, field_args, **extra)

    @converts("JSON")
    def convert_JSON(self, field_args, **extra):  # Flask-Admin's name, so that this one wins
        return JSONField(**field_args)

    @converts("BigInteger")
    def conv_big_integer(self, column, field_args, **extra):
        field_args["validators"].append(NumberRange(-(2**63), 2**63 - 1))
        return super().handle_integer_types(column, field_args, **extra)


DELETE_CONFIRMATION = _l("Delete the selected records? This cannot be undone.")


def _msgid(text) -> str:
    """The English text of a lazy_gettext string (the text itself otherwise)."""
    args = getattr(text, "_args", None)
    return str(args[0]) if args else str(text)


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


_ITEMS = re.compile(r"\d+ items?")


def _page_gettext(text, **variables):
    if text == "items":
        return _("per page")
    return admin_babel.gettext(text, **variables)


def _page_ngettext(singular, plural, num, **variables):
    if _ITEMS.fullmatch(singular) and _ITEMS.fullmatch(plural):
        return _("%(num)d per page", num=num)
    return admin_babel.ngettext(singular, plural, num, **variables)


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

    def __init__(self, *args, **kwargs):
        # before Flask-Admin builds the filters and forms, which read the labels
        self.column_labels = {**LABELS, **(self.column_labels or {})}
        super().__init__(*args, **kwargs)

    def render(self, template, **kwargs):
        # Flask-Admin's page-size menu says "50 items" through a msgid built at run time
        # ('{} items'.format(n): never in a catalog, so English in every language) beside a
        # lone "items" ("50 artículos"); these two words say "50 per page" in the reader's
        # language. Flask-Admin applies _template_args after its own _gettext/_ngettext.
        self._template_args.update(_gettext=_page_gettext, _ngettext=_page_ngettext)
        return super().render(template, **kwargs)

    def init_actions(self):
        """Flask-Admin's actions, with "Delete" last in the menu (it lists them by method
        name, which put it first) and a confirmation that says it cannot be undone."""
        super().init_actions()
        self._actions.sort(key=lambda a: a[0] == "delete")
        if "delete" in self._actions_data:
            func, text, _desc = self._actions_data["delete"]
            self._actions_data["delete"] = (func, text, DELETE_CONFIRMATION)

    def get_filter_arg(self, index, flt):
        """A filter's name in URLs, the same in every language and whatever its label says.

        Flask-Admin makes it from the label as shown: links to a filtered list (the OLT page's
        PONs, the dashboard's cards) would break when a label changes or the reader is Spanish.
        A filter may carry ``url_name`` to keep an older URL working.
        """
        if not self.named_filter_urls:
            return str(index)
        name = getattr(flt, "url_name", None) or _msgid(flt.name)
        text = f"{name} {_msgid(flt.operation())}".lower()
        return re.sub(" +", "_", re.sub("[^a-z0-9 ]", "", text))  # as Flask-Admin does

    def get_one(self, id):
        """The row with this id; None for an id that cannot be one (as for a missing row)."""
        pk = parse_id(id)
        return None if pk is None else super().get_one(str(pk))

    def handle_action(self, return_view=None):
        """Run a bulk action only on ids that can be ids; else say so and go back."""
        if request.method == "POST" and parse_ids(request.form.getlist("rowid")) is None:
            flash(_("That selection is not valid: tick rows in the list and try again."), "error")
            return redirect(url_for(".index_view"))
        return super().handle_action(return_view)

    def handle_view_exception(self, exc):
        """An error while saving is a sentence for people, never its text (secrets).

        Flask-Admin flashes ``str(exc)``: for a database error that holds the statement and
        every value, a community included.
        """
        if not isinstance(exc, SQLAlchemyError):
            if super().handle_view_exception(exc):  # a ValidationError: its own sentence
                return True
            db.session.rollback()
            log.exception("%s: not saved", self.endpoint)
            flash(_("Not saved: something unexpected went wrong (it was logged)."), "error")
            return True
        db.session.rollback()  # first: the page (its language) reads the logged-in user
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        log.warning("%s: not saved: %s", self.endpoint, reason)
        if isinstance(exc, IntegrityError):
            text = _("Not saved: another record already has these values, or one it needs is gone.")
        elif isinstance(exc, DataError):
            text = _("Not saved: a value does not fit (too long, or out of range).")
        else:
            text = _("Not saved: the database refused the change.")
        flash(text, "error")
        return True

    def _get_list_extra_args(self):
        return clean_list_args(super()._get_list_extra_args())

    def validate_form(self, form):
        """Refuse NUL characters at their fields (PostgreSQL text cannot hold one, and the
        unique-name check would send it there before the form is valid)."""
        bad = nul_fields(form)
        for field in bad:
            field.errors = [_("This text contains a NUL character; type it again.")]
        return not bad and super().validate_form(form)

    def create_form(self, obj=None):
        return typed_widgets(super().create_form(obj))

    def edit_form(self, obj=None):
        return typed_widgets(super().edit_form(obj))


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
