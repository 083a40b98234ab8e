"""Staff users."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.validators import Invalid

MIN_PASSWORD_LENGTH = 8


def new_session_token() -> str:
    """A fresh random session token (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person who may log in; staff may use the admin and run jobs.

    Flask-Login's "alternative tokens": the session holds ``get_id()``, the id plus a
    per-user session token. Logging out, a new password and disabling the user rotate the
    token, so every copy of an older session cookie is refused from then on.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: "<id>:<session token>"."""
        return f"{self.id}:{self.session_token}"

    def has_session_token(self, token: str) -> bool:
        """Tell whether token is this user's current session token."""
        return bool(self.session_token) and hmac.compare_digest(self.session_token, token)

    def revoke_sessions(self) -> None:
        """End every session of this user (a new token; old cookies no longer match)."""
        self.session_token = new_session_token()

    @validates("active")
    def _revoke_when_disabled(self, _key, value):
        if not value and self.id is not None:
            self.revoke_sessions()
        return value

    def set_password(self, password: str) -> None:
        """Hash and store a new password; the user's other sessions end."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid(
                _("the password must have at least %(n)d characters", n=MIN_PASSWORD_LENGTH),
                "password",
            )
        self.password_hash = generate_password_hash(password)
        self.revoke_sessions()

    def check_password(self, password: str) -> bool:
        """Tell whether the password matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.username
