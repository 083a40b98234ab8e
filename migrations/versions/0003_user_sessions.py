"""User sessions that can be revoked: users.session_token

Flask-Login keeps "<id>:<session token>" in the session cookie; logging out, a new password
and disabling a user rotate the token, so any copy of an older cookie is refused. Every
existing user gets a random token of their own (sessions from before the upgrade end).

Revision ID: 0003_user_sessions
Revises: 0002_real_olts
Create Date: 2026-12-02
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003_user_sessions"
down_revision = "0002_real_olts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_token", sa.String(64), nullable=True))
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token"))
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_token", existing_type=sa.String(64), nullable=False)


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_token")
