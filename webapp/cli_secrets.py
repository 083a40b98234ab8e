"""`manage_cli.py secrets rotate`: re-encrypt the stored OLT secrets with the first key.

Rotation (README, "Secrets at rest"): set OLTWATCH_ENCRYPTION_KEY="<new>,<old>" (the old one
may be the SECRET_KEY used so far), restart, run `secrets rotate`, then drop <old>.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import text

from webapp import crypto
from webapp.cli_ops import unreachable_is_one_line
from webapp.extensions import db

secrets_group = AppGroup("secrets", help="The OLT secrets stored encrypted in the database.")
FIELDS = ("community", "v3_auth_key", "v3_priv_key")


@secrets_group.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@unreachable_is_one_line
def secrets_rotate(as_json: bool) -> None:
    """Re-encrypt every stored community and SNMPv3 key with the first configured key."""
    rotated, unreadable = 0, []
    # plain SQL: the stored text itself, past the model's encrypting column type
    rows = db.session.execute(
        text("SELECT id, name, community, v3_auth_key, v3_priv_key FROM olts ORDER BY id")
    ).all()
    for row in rows:
        values = {}
        for field in FIELDS:
            stored = getattr(row, field)
            if not stored:
                continue
            try:
                values[field] = crypto.rotate(stored)
            except ValueError:
                unreadable.append(f"{row.name} ({field})")
        if values:
            sets = ", ".join(f"{field} = :{field}" for field in values)
            db.session.execute(
                text(f"UPDATE olts SET {sets} WHERE id = :id"), {**values, "id": row.id}
            )
            rotated += 1
    db.session.commit()
    result = {"olts": len(rows), "rotated": rotated, "unreadable": unreadable}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            ngettext(
                "%(rotated)s of %(num)d OLT re-encrypted with the first key",
                "%(rotated)s of %(num)d OLTs re-encrypted with the first key",
                len(rows),
                rotated=rotated,
            )
        )
        for item in unreadable:
            click.echo(
                "  " + _("cannot decrypt: %(item)s (enter it again, or add its old key)", item=item)
            )
    if unreadable:
        sys.exit(1)
