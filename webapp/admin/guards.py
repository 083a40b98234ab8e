"""Bad input from the browser (ids, list arguments, form values) meets a message, never a 500.

Flask-Admin trusts what it is sent: a row id goes to the database as it is ("abc", or a
number past the column's range, is an error on PostgreSQL and an OverflowError on SQLite),
so does ``?page=-1`` (a negative OFFSET) or a NUL in ``?search=`` (PostgreSQL text cannot
hold one). Flask-Admin has no hook for this, so the checks are ours.
"""

from __future__ import annotations

import math

from flask_admin.form import fields as admin_fields
from flask_babel import gettext as _
from wtforms.validators import ValidationError

MAX_ID = 2**31 - 1  # our primary keys are INTEGER columns
MAX_PAGE = 1_000_000


def parse_id(value) -> int | None:
    """The integer primary key in value, or None if it cannot be one."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int] | None:
    """Every id in values as an integer, or None if any of them cannot be an id."""
    ids = [parse_id(v) for v in values]
    return None if any(i is None for i in ids) else ids


def clean_list_args(args):
    """Make Flask-Admin's list arguments safe for the database (a ViewArgs, in place)."""
    if args.page is None or not 0 <= args.page <= MAX_PAGE:
        args.page = 0
    if args.search:
        args.search = args.search.replace("\x00", "")
    if args.filters:
        args.filters = [
            (idx, name, value.replace("\x00", "") if isinstance(value, str) else value)
            for idx, name, value in args.filters
        ]
    return args


class TypedWidget:
    """A widget with the ``input_type`` that Flask-Admin 2.2.1's field macro reads.

    The bootstrap4 ``render_field`` macro reads ``field.widget.input_type`` to render a
    field's error or description; wtforms' TextArea and Select and Flask-Admin's Select2
    have none, which StrictUndefined turns into a 500 for any error on such a field (JSON
    options that are not JSON, a relation id that does not exist).
    """

    def __init__(self, widget):
        self.widget = widget
        self.input_type = type(widget).__name__.lower()

    def __call__(self, field, **kwargs):
        return self.widget(field, **kwargs)

    def __getattr__(self, name):
        return getattr(self.widget, name)


def nul_fields(form) -> list:
    """The fields of form (inline forms included) whose submitted text holds a NUL."""
    bad = []
    for field in form:
        raw = getattr(field, "raw_data", None) or ()
        if any(isinstance(v, str) and "\x00" in v for v in raw):
            bad.append(field)
        for entry in getattr(field, "entries", ()):
            if hasattr(entry, "form"):
                bad.extend(nul_fields(entry.form))
    return bad


def typed_widgets(form):
    """Give every field of form (and of its inline forms) a widget with an input_type."""
    for field in form:
        if not hasattr(field.widget, "input_type"):
            field.widget = TypedWidget(field.widget)
        for entry in getattr(field, "entries", ()):
            if hasattr(entry, "form"):
                typed_widgets(entry.form)
    return form


def finite(form, field):
    """A float field's check: "nan" and "inf" are not numbers here."""
    if field.data is not None and not math.isfinite(field.data):
        raise ValidationError(_("Give a number."))


class JSONField(admin_fields.JSONField):
    """Flask-Admin's JSON field with a translated error that says where the JSON breaks
    (Flask-Admin's own "Invalid JSON" is not in the catalog its form errors use)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            cause = exc.__cause__
            raise ValueError(
                _(
                    'Not valid JSON (line %(line)s, column %(column)s), e.g. {"method": "get"}',
                    line=getattr(cause, "lineno", 1),
                    column=getattr(cause, "colno", 1),
                )
            ) from exc
