"""API tokens: create (the token is shown once), find by bearer, list, revoke.

One place for the admin, the CLI and the API. A token is "oltw_" and 43 URL-safe characters
(256 random bits); only its SHA-256 is stored, with its first characters to tell it apart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from webapp.extensions import db
from webapp.models import ApiToken, User
from webapp.models.base import utcnow
from webapp.models.tokens import SCOPES
from webapp.validators import Invalid

log = logging.getLogger(__name__)
TOKEN_PREFIX = "oltw_"
SHOWN = len(TOKEN_PREFIX) + 6  # "oltw_Ab3dE9": enough to tell a user's tokens apart
MAX_DAYS = 3650
LAST_USE_EVERY = timedelta(minutes=1)  # last use is written at most this often per token
_DURATION = re.compile(r"^(\d{1,5})([dwmy]?)$")
_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


@dataclass
class NewToken:
    """A token just made: ``token`` exists only here and is shown once."""

    row: ApiToken
    token: str

    def as_dict(self) -> dict:
        return {
            "id": self.row.id,
            "name": self.row.name,
            "token": self.token,
            "scopes": sorted(self.row.scope_set, key=SCOPES.index),
            "user": self.row.user.username,
            "expires_at": self.row.expires_at.isoformat() if self.row.expires_at else None,
        }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(text: str | list[str]) -> str:
    """The scopes as stored ("read,run"); ValueError naming the unknown ones. Every scope
    includes read: a token that may run jobs may see them."""
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = {s.strip().lower() for s in items if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise Invalid(
            _(
                "unknown scope %(unknown)s; scopes are %(scopes)s",
                unknown=", ".join(unknown),
                scopes=", ".join(SCOPES),
            ),
            "scopes",
        )
    if not wanted:
        raise Invalid(_("give at least one scope: %(scopes)s", scopes=", ".join(SCOPES)), "scopes")
    wanted.add("read")
    return ",".join(s for s in SCOPES if s in wanted)


def parse_expiry(text: str | None, now: datetime | None = None) -> datetime | None:
    """ "90d", "12w", "6m", "1y" (or a number of days) from now; "never"/"" for none."""
    if text is None or text.strip().lower() in ("", "never", "none", "0"):
        return None
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise Invalid(
            _("invalid expiry %(text)s: use days like 90d, or 12w, 6m, 1y, never", text=repr(text)),
            "expires",
        )
    days = int(match.group(1)) * _DAYS[match.group(2)]
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(_("the expiry must be 1 to %(n)d days", n=MAX_DAYS), "expires")
    return (now or utcnow()) + timedelta(days=days)


def create_token(user: User, name: str, scopes: str, expires_at: datetime | None) -> NewToken:
    """Make a token for a staff user; commit. ValueError (nothing written) on bad input."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(_("the token name must be 1 to 100 characters"), "name")
    if not (user.is_staff and user.active):
        raise Invalid(
            _(
                "user %(user)s is not active staff: only staff may use the API",
                user=repr(user.username),
            ),
            "user",
        )
    stored = parse_scopes(scopes)
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid(_("the expiry must be in the future"), "expires")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        name=name,
        prefix=token[:SHOWN],
        token_hash=digest(token),
        scopes=stored,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.commit()
    return NewToken(row, token)


def find_token(token: str) -> ApiToken | None:
    """The active token row of a bearer token, its user active staff; else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.state() != "active":
        return None
    user = row.user
    if not (user.active and user.is_staff):
        return None
    return row


def note_use(row: ApiToken, address: str | None, now: datetime | None = None) -> bool:
    """Record the token's last use, at most once a minute (a write per request would make
    every GET a write: on SQLite, behind the workers' write lock). Best effort: a database
    too busy to take it loses this one, not the request. Commits when it writes."""
    now = now or utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USE_EVERY:
        return False
    token_id = row.id
    # End the read first: on SQLite a GET's transaction is deferred, and one that read and
    # then writes fails at once if a worker committed meanwhile; a new one that begins with
    # the write waits for the lock as any writer does.
    db.session.commit()
    try:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(last_used_at=now, last_used_ip=(address or "")[:45] or None)
        )
        db.session.commit()
    except OperationalError as exc:
        db.session.rollback()
        log.warning("API token %s: last use not recorded: %s", token_id, type(exc).__name__)
        return False
    return True


def token_rows(user: User | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def revoke_token(token_id: int, by: User | None = None) -> ApiToken:
    """Revoke a token (its owner's, or anyone's for a superuser or the CLI: by=None);
    LookupError when there is no such token the user may revoke. Commits."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (by is not None and not by.is_superuser and row.user_id != by.id):
        raise LookupError(f"no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row


def token_dict(row: ApiToken) -> dict:
    """A token as lists show it (never the token)."""
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "user": row.user.username,
        "scopes": sorted(row.scope_set, key=SCOPES.index),
        "state": row.state(),
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }
