"""Admin view for users (superusers only); passwords are set, never shown."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from wtforms import PasswordField, SelectField
from wtforms.validators import ValidationError

from webapp.admin.base import StaffModelView, SuperuserAccess, choices
from webapp.models.users import MIN_PASSWORD_LENGTH


def _password_field(form, field):
    """The password policy's error at the password field, in the reader's language."""
    if field.data and len(field.data) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("the password must have at least %(n)d characters", n=MIN_PASSWORD_LENGTH)
        )


class UserView(SuperuserAccess, StaffModelView):
    column_list = (
        "username",
        "is_staff",
        "is_superuser",
        "active",
        "language",
        "last_login_at",
        "created_at",
    )
    column_searchable_list = ("username",)
    # the session token is what a session cookie carries: never shown, like the password
    column_details_exclude_list = ("password_hash", "session_token")
    column_export_exclude_list = ("password_hash", "session_token")
    form_columns = ("username", "new_password", "is_staff", "is_superuser", "active", "language")
    form_extra_fields = {
        "new_password": PasswordField(
            _l("Password"),
            validators=[_password_field],
            description=_l(
                "At least %(n)d characters. Leave empty to keep the current password.",
                n=MIN_PASSWORD_LENGTH,
            ),
        )
    }
    form_overrides = {"language": SelectField}
    form_args = {"language": {"choices": choices(("", "-"), ("en", "English"), ("es", "Español"))}}

    def on_model_change(self, form, model, is_created):
        model.language = model.language or None
        if form.new_password.data:
            try:
                model.set_password(form.new_password.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc
        elif is_created:
            raise ValidationError(_("A new user needs a password."))

    def after_model_change(self, form, model, is_created):
        # A new password (or disabling) ended the user's sessions; a superuser who changed
        # their own password keeps this one, under the new token.
        if not is_created and model.id == current_user.id and model.active:
            login_user(model)
