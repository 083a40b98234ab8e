"""value rules on OIDs

Revision ID: 0002_oid_value_rules
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_oid_value_rules"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

def _columns():
    return [
        sa.Column("value_parse", sa.String(length=20), nullable=False, server_default=""),
        sa.Column("value_scale", sa.Double(), nullable=False, server_default="1"),
        sa.Column("value_offset", sa.Double(), nullable=False, server_default="0"),
        sa.Column("value_wrap_above", sa.BigInteger(), nullable=True),
        sa.Column("value_wrap_modulus", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("value_sentinels", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("value_round", sa.Integer(), nullable=True),
        sa.Column("value_min", sa.Double(), nullable=True),
        sa.Column("value_max", sa.Double(), nullable=True),
    ]


def upgrade():
    with op.batch_alter_table("oids") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade():
    with op.batch_alter_table("oids") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
