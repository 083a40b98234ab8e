"""Login and logout for staff users, with throttling of failed attempts."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from jobs.queues import get_redis
from webapp.extensions import db, login_manager
from webapp.models import User
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


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


def safe_next(target: str | None) -> str:
    """Return a local path to go to after login; never an absolute or scheme-relative URL."""
    fallback = url_for("admin.index")
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def _throttle_key(username: str) -> str:
    return f"oltwatch:login-failures:{username.lower()}:{request.remote_addr}"


def _too_many_failures(username: str) -> bool:
    try:
        count = get_redis(current_app.config["REDIS_URL"]).get(_throttle_key(username))
    except RedisError:
        return False  # throttling is best effort; the password check still applies
    return count is not None and int(count) >= current_app.config["LOGIN_MAX_FAILURES"]


def _count_failure(username: str) -> None:
    try:
        r = get_redis(current_app.config["REDIS_URL"])
        key = _throttle_key(username)
        pipe = r.pipeline()
        pipe.incr(key)
        pipe.expire(key, current_app.config["LOGIN_LOCKOUT_SECONDS"])
        pipe.execute()
    except RedisError:
        log.warning("could not record a failed login for %s: Redis unavailable", username)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a staff user in."""
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        if _too_many_failures(username):
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(db.select(User).filter_by(username=username))
        if user is None or not user.check_password(form.password.data) or not user.active:
            _count_failure(username)
            log.info("failed login for %s from %s", username, request.remote_addr)
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
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
