"""Indexes for deleting executions: onus.last_change_execution_id, executions.retry_of_id

Both columns hold a foreign key to executions with ON DELETE SET NULL, and neither had an
index, so deleting one execution scanned every ONU and every execution for rows to clear.
The hourly purge deletes up to 10,000 at a time: 101 s on PostgreSQL and 205 s on SQLite at
only 100,000 ONUs and 20,000 executions (bench/metrics.py), minutes to hours at a million.
The ONU index also serves an execution's page (the ONUs it changed). retry_of_id is mostly
NULL: a partial index.

Revision ID: 0009_purge_indexes
Revises: 0008_store_speed
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_purge_indexes"
down_revision = "0008_store_speed"
branch_labels = None
depends_on = None

RETRY_SQL = "retry_of_id IS NOT NULL"


def upgrade():
    op.create_index("ix_onus_last_change_execution", "onus", ["last_change_execution_id"])
    op.create_index(
        "ix_executions_retry_of",
        "executions",
        ["retry_of_id"],
        sqlite_where=sa.text(RETRY_SQL),
        postgresql_where=sa.text(RETRY_SQL),
    )


def downgrade():
    op.drop_index("ix_executions_retry_of", table_name="executions")
    op.drop_index("ix_onus_last_change_execution", table_name="onus")
