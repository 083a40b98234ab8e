"""API tokens in the admin: staff make and revoke their own (superusers see everyone's).
A new token is shown once, on the page that answers its form, and never again."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.admin.base import StaffModelView, badge
from webapp.extensions import db
from webapp.models import ApiToken
from webapp.models.tokens import SCOPES
from webapp.tokens import create_token, parse_expiry, revoke_token

SCOPE_LABELS = {
    "read": _l("read: see everything (GET)"),
    "run": _l("run: run jobs, poll, detect, cancel, run again, acknowledge alarms"),
    "write": _l("write: add and change OLTs"),
}
EXPIRIES = (
    SelectChoice("30d", _l("in 30 days")),
    SelectChoice("90d", _l("in 90 days")),
    SelectChoice("1y", _l("in a year")),
    SelectChoice("never", _l("never")),
)
STATE_BADGES = {"active": "success", "expired": "secondary", "revoked": "danger"}


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What uses it, e.g. billing or ticketing"),
    )
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
        default=["read"],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired()],
    )
    expires = SelectField(_l("Expires"), choices=EXPIRIES, default="90d")


def _state(view, context, model, name):
    state = model.state()
    labels = {"active": _("active"), "expired": _("expired"), "revoked": _("revoked")}
    return badge(labels[state], STATE_BADGES[state])


def _prefix(view, context, model, name):
    return Markup("<code>{}…</code>").format(model.prefix)


class ApiTokenView(StaffModelView):
    """The tokens of the logged-in staff user (every user's, for a superuser)."""

    can_create = True
    can_edit = False
    can_delete = False
    can_view_details = False
    action_disallowed_list = ["delete"]
    list_template = "admin/model/list.html"
    column_list = ("name", "prefix", "user", "scopes", "state", "created_at", "expires_at",
                   "last_used_at", "last_used_ip")  # fmt: skip
    column_labels = {
        "name": _l("Name"),
        "prefix": _l("Token"),
        "user": _l("User"),
        "scopes": _l("Scopes"),
        "state": _l("State"),
        "created_at": _l("Created"),
        "expires_at": _l("Expires"),
        "last_used_at": _l("Last used"),
        "last_used_ip": _l("Last used from"),
    }
    column_formatters = {"state": _state, "prefix": _prefix}
    column_default_sort = ("id", True)
    column_searchable_list = ("name",)

    def _mine(self, query):
        if current_user.is_superuser:
            return query
        return query.filter(ApiToken.user_id == current_user.id)

    def get_query(self):
        return self._mine(super().get_query())

    def get_count_query(self):
        return self._mine(super().get_count_query())

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form = NewTokenForm()
        if form.validate_on_submit():
            try:
                made = create_token(
                    current_user, form.name.data, form.scopes.data, parse_expiry(form.expires.data)
                )
            except ValueError as exc:
                db.session.rollback()
                field = getattr(form, getattr(exc, "field", None) or "name", None) or form.name
                field.errors = [str(exc)]
            else:
                # shown here, in the answer to the form, once: it is stored only as a hash
                return self.render("admin/token_created.html", made=made)
        return self.render("admin/token_new.html", form=form)

    @action("revoke", _l("Revoke"), _l("Revoke the selected tokens? Scripts using them stop."))
    def action_revoke(self, ids):
        done = 0
        for token_id in ids:
            try:
                revoke_token(int(token_id), by=current_user)
                done += 1
            except LookupError:
                continue
        flash(ngettext("%(num)d token revoked", "%(num)d tokens revoked", done),
              "success" if done else "warning")  # fmt: skip
        return redirect(request.referrer or url_for(".index_view"))
