"""API tokens from the command line: tokens create/list/revoke."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.cli import _fail
from webapp.cli_i18n import table, when
from webapp.extensions import db
from webapp.models import User

tokens = AppGroup("tokens", help="Create, list and revoke API tokens.")


@tokens.command("create")
@click.argument("name")
@click.option("--user", "username", required=True, help="The staff user the token acts as.")
@click.option(
    "--scope",
    "scope",
    default="read",
    show_default=True,
    help="read, run, write, comma-separated (read: GET; run: run jobs, cancel, acknowledge; "
    "write: add and change OLTs).",
)
@click.option("--expires", default="90d", show_default=True, help="90d, 12w, 6m, 1y or never.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, token, scopes, expires_at).")
def tokens_create(name: str, username: str, scope: str, expires: str, as_json: bool) -> None:
    """Create an API token; it is printed once and never again."""
    from webapp.tokens import create_token, parse_expiry

    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        _fail(_("no user %(name)r", name=username))
    try:
        made = create_token(user, name, scope, parse_expiry(expires))
    except ValueError as exc:
        _fail(str(exc))
    data = made.as_dict()
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(made.token)  # the token alone on stdout, for scripts
    click.echo(
        _(
            "token %(id)s %(name)r for %(user)s: scopes %(scopes)s, expires %(expires)s. "
            "Keep it now: it is not shown again.",
            id=data["id"],
            name=name,
            user=username,
            scopes=",".join(data["scopes"]),
            expires=when(data["expires_at"], _("never")),
        ),
        err=True,
    )


@tokens.command("list")
@click.option("--user", "username", help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens_list(username: str | None, as_json: bool) -> None:
    """List API tokens (never the tokens themselves)."""
    from webapp.tokens import token_dict, token_rows

    user = None
    if username:
        user = db.session.scalar(select(User).filter_by(username=username))
        if user is None:
            _fail(_("no user %(name)r", name=username))
    rows = [token_dict(r) for r in token_rows(user)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(_("no API tokens"))
        return
    states = {"active": _("active"), "expired": _("expired"), "revoked": _("revoked")}
    for r in rows:
        r["prefix"] += "…"
        r["name"] = r["name"][:30]
        r["scopes"] = ",".join(r["scopes"])  # the scopes' own names, as --scope takes them
        r["state"] = states.get(r["state"], r["state"])
        r["expires_at"] = when(r["expires_at"], _("never"))
        r["last_used_at"] = when(r["last_used_at"], _("never"))
    table(
        rows,
        {
            "id": _("id"),
            "prefix": _("prefix"),
            "name": _("name"),
            "user": _("user"),
            "scopes": _("scopes"),
            "state": _("state"),
            "expires_at": _("expires"),
            "last_used_at": _("last used"),
        },
    )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke an API token at once."""
    from webapp.tokens import revoke_token

    try:
        row = revoke_token(token_id)
    except LookupError as exc:
        _fail(str(exc))
    click.echo(
        _(
            "revoked token %(id)s %(name)r of %(user)s",
            id=row.id,
            name=row.name,
            user=row.user.username,
        )
    )
