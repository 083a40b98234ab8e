"""Alarm rules: the ONU tx range (tx_low, tx_high, dBm), empty = inherited

The ONU list colours an ONU's tx power outside this range, per profile or OLT like the rx
thresholds; the configuration's ALARM_TX_LOW / ALARM_TX_HIGH are the defaults.

Revision ID: 0010_tx_thresholds
Revises: 0009_purge_indexes
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_tx_thresholds"
down_revision = "0009_purge_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alarm_rules") as batch:
        batch.add_column(sa.Column("tx_low", sa.Double(), nullable=True))
        batch.add_column(sa.Column("tx_high", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("alarm_rules") as batch:
        batch.drop_column("tx_high")
        batch.drop_column("tx_low")
