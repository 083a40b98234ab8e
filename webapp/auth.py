"""Login and logout for staff users, with throttling of failed attempts."""

from __future__ import annotations

import functools
import logging
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from jobs.queues import get_redis
from webapp.extensions import db, login_manager
from webapp.models import User
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

# One attempt more on each counter, atomically, before the password is checked (so that
# concurrent tries cannot all read the same old count); a counter lives LOGIN_LOCKOUT_SECONDS
# from its first attempt.
_RESERVE = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return counts
"""
# A success clears the user's counter and gives the address its attempt back (a success is
# not a failure, but it does not wipe the failures others made from that address).
_RELEASE = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('DECR', KEYS[2]) <= 0 then
  redis.call('DEL', KEYS[2])
end
return 1
"""


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session id "<id>:<token>", if the token is still theirs."""
    ident, _sep, token = (user_id or "").partition(":")
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 9 and token):
        return None  # an older session (before tokens) or not ours
    user = db.session.get(User, int(ident))
    if user is None or not user.has_session_token(token):
        return None
    return user


def staff_only():
    """For a page outside Flask-Admin that only staff may see: the login page for a visitor
    (None when the user is active staff; 403 for anyone else)."""
    from flask import abort

    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not (current_user.is_active and current_user.is_staff):
        abort(403)
    return None


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Return a local path to go to; never an absolute, scheme-relative or odd URL."""
    fallback = fallback or url_for("admin.index")
    if not target:
        return fallback
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback  # browsers drop tabs and newlines: "/\t/evil" becomes "//evil"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def _throttle_keys(username: str) -> list[str]:
    addr = request.remote_addr or "-"
    return [
        f"oltwatch:login-tries:user:{addr}:{username.lower()}",
        f"oltwatch:login-tries:addr:{addr}",
    ]


def _reserve_attempt(username: str) -> bool:
    """Count this attempt; False when the user (from this address) or the address is over."""
    cfg = current_app.config
    try:
        r = get_redis(cfg["REDIS_URL"])
        user_n, addr_n = r.register_script(_RESERVE)(
            keys=_throttle_keys(username), args=[cfg["LOGIN_LOCKOUT_SECONDS"]]
        )
    except RedisError:
        log.warning("login throttling skipped for %s: Redis unavailable", username)
        return True  # best effort; the password check still applies
    return user_n <= cfg["LOGIN_MAX_FAILURES"] and addr_n <= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def _release_attempt(username: str) -> None:
    try:
        r = get_redis(current_app.config["REDIS_URL"])
        r.register_script(_RELEASE)(keys=_throttle_keys(username))
    except RedisError:
        log.warning("could not reset the login throttle of %s: Redis unavailable", username)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User | None:
    """The active user with this password, else None; always one password hash check."""
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)  # as slow as for a known user
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a staff user in."""
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        if not _reserve_attempt(username):
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(username, form.password.data)
        if user is None:
            log.info("failed login for %s from %s", username, request.remote_addr)
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        _release_attempt(username)
        login_user(user)
        user.last_login_at = utcnow()
        db.session.commit()
        log.info("login %s from %s", username, request.remote_addr)
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, so that a link on another site cannot do it).

    The user's session token rotates, so a copy of this session's cookie no longer works.
    """
    if current_user.is_authenticated:
        current_user.revoke_sessions()
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
