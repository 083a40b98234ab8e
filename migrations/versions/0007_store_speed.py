"""Store speed: no foreign key on onus.last_execution_id (issue 11)

Every poll writes every ONU's last_execution_id, so the foreign key's check ran once per ONU
on every poll: 95-125 ms of a 16,384-ONU poll's UPDATE on PostgreSQL (EXPLAIN ANALYZE's
trigger time, bench/store.py's database). The column stays and keeps its values; purging old
executions sets it to NULL as the key's ON DELETE SET NULL did (jobs/housekeeping.py), as the
history tables' execution_id columns already do without a key.

Revision ID: 0007_store_speed
Revises: 0006_list_indexes
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007_store_speed"
down_revision = "0006_list_indexes"
branch_labels = None
depends_on = None

NAME = "fk_onus_last_execution_id_executions"


def upgrade():
    with op.batch_alter_table("onus", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")


def downgrade():
    # ids of executions purged meanwhile were set to NULL by the purge, so the key holds
    op.execute(
        "UPDATE onus SET last_execution_id = NULL WHERE last_execution_id IS NOT NULL"
        " AND last_execution_id NOT IN (SELECT id FROM executions)"
    )
    with op.batch_alter_table("onus", schema=None) as batch_op:
        batch_op.create_foreign_key(
            NAME, "executions", ["last_execution_id"], ["id"], ondelete="SET NULL"
        )
