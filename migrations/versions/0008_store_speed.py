"""Store speed: no foreign key on onus.last_execution_id, onus fillfactor 45 (issue 11)

- Every poll writes every ONU's last_execution_id, so the foreign key's check ran once per
  ONU on every poll: 95-125 ms of a 16,384-ONU poll's UPDATE on PostgreSQL (EXPLAIN
  ANALYZE's trigger time, bench/store.py's database). The column stays and keeps its values;
  purging old executions sets it to NULL as the key's ON DELETE SET NULL did
  (jobs/housekeeping.py), as the history tables' execution_id columns do without a key.
- PostgreSQL: fillfactor 45 instead of 0006's 70. One UPDATE rewrites every row of a page,
  so a page needs room for the new version of each of its rows at once to keep them all on
  the page (HOT: no index entry). At 70 fewer than half did (7,626 of 16,384 on the first
  poll), the rest went to other pages with an entry in every index, the trigram one too,
  and the table grew from 2,731 to 5,549 pages in three polls; at 45 every update was HOT,
  the table stayed at 4,097 pages, and the UPDATE took 160-240 ms instead of 270-420 ms.

Revision ID: 0008_store_speed
Revises: 0007_api_tokens
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008_store_speed"
down_revision = "0007_api_tokens"
branch_labels = None
depends_on = None

NAME = "fk_onus_last_execution_id_executions"


def upgrade():
    with op.batch_alter_table("onus", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE onus SET (fillfactor = 45)")  # pages written from now on


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE onus SET (fillfactor = 70)")  # 0006's
    # ids of executions purged meanwhile were set to NULL by the purge, so the key holds
    op.execute(
        "UPDATE onus SET last_execution_id = NULL WHERE last_execution_id IS NOT NULL"
        " AND last_execution_id NOT IN (SELECT id FROM executions)"
    )
    with op.batch_alter_table("onus", schema=None) as batch_op:
        batch_op.create_foreign_key(
            NAME, "executions", ["last_execution_id"], ["id"], ondelete="SET NULL"
        )
