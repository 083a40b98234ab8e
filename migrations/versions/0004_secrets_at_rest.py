"""Secrets at rest and one active execution per (job, OLT)

- olts: community, v3_auth_key and v3_priv_key are stored encrypted (webapp/crypto.py:
  Fernet with a key derived from OLTWATCH_ENCRYPTION_KEY or SECRET_KEY); the columns grow to
  1024 characters for the ciphertext, and every stored secret is encrypted here.
- executions: at most one PENDING or RUNNING execution per (job, OLT), a partial unique
  index (two run-nows of one job at once created two); where an older release left several,
  the newest are ended INTERRUPTED first.

The key comes from the running application's configuration (flask db upgrade, make run):
run this migration with the SECRET_KEY (or OLTWATCH_ENCRYPTION_KEY) the application uses.

Revision ID: 0004_secrets_at_rest
Revises: 0003_user_sessions
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_secrets_at_rest"
down_revision = "0003_user_sessions"
branch_labels = None
depends_on = None

SECRETS = ("community", "v3_auth_key", "v3_priv_key")
ACTIVE = "status IN ('PENDING', 'RUNNING')"


def _olts():
    return sa.table(
        "olts", sa.column("id", sa.Integer), *(sa.column(c, sa.String) for c in SECRETS)
    )


def upgrade():
    from webapp import crypto

    with op.batch_alter_table("olts") as batch:
        for column in SECRETS:
            batch.alter_column(column, existing_type=sa.String(255), type_=sa.String(1024))
    conn = op.get_bind()
    olts = _olts()
    for row in conn.execute(sa.select(olts)).all():
        values = {
            c: crypto.encrypt(getattr(row, c))
            for c in SECRETS
            if getattr(row, c) and not getattr(row, c).startswith(crypto.PREFIX)
        }
        if values:
            conn.execute(olts.update().where(olts.c.id == row.id).values(**values))

    executions = sa.table(
        "executions",
        sa.column("id", sa.Integer),
        sa.column("job_id", sa.Integer),
        sa.column("olt_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("error", sa.Text),
    )
    active = conn.execute(
        sa.select(executions.c.id, executions.c.job_id, executions.c.olt_id)
        .where(executions.c.status.in_(("PENDING", "RUNNING")))
        .order_by(executions.c.id)
    ).all()
    kept: dict = {}
    for ex_id, job_id, olt_id in active:
        if job_id is None or olt_id is None:
            continue
        first = kept.setdefault((job_id, olt_id), ex_id)
        if first != ex_id:
            conn.execute(
                executions.update()
                .where(executions.c.id == ex_id)
                .values(status="INTERRUPTED", error=f"a duplicate of execution {first}")
            )
    op.create_index(
        "uq_executions_one_active",
        "executions",
        ["job_id", "olt_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade():
    from webapp import crypto

    op.drop_index("uq_executions_one_active", table_name="executions")
    conn = op.get_bind()
    olts = _olts()
    for row in conn.execute(sa.select(olts)).all():
        values = {}
        for c in SECRETS:
            stored = getattr(row, c)
            if stored and stored.startswith(crypto.PREFIX):
                plain = crypto.decrypt(stored)
                if isinstance(plain, crypto.SecretUnreadable):
                    raise RuntimeError(
                        f"OLT {row.id}: its {c} cannot be decrypted with the configured keys"
                    )
                values[c] = plain
        if values:
            conn.execute(olts.update().where(olts.c.id == row.id).values(**values))
    with op.batch_alter_table("olts") as batch:
        for column in SECRETS:
            batch.alter_column(column, existing_type=sa.String(1024), type_=sa.String(255))
