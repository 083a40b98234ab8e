"""Indexes for the lists and the dashboard at a million ONUs and executions (issue 11)

- executions: created_at (the list, newest first, and its date filter; the dashboard's last
  24 hours), and job_name, olt_name and trigger each with created_at (the list's filters in
  its order).
- onus: state_label (the state filter). On PostgreSQL also a trigram GIN index (pg_trgm) on
  the columns the list searches (serial, description, name, position, raw_index, mac: a
  substring ILIKE), and finer statistics on the free-text ones, so that the planner knows how
  common a word is (a surname matching 2% of the ONUs must not be fetched and sorted whole),
  and a fillfactor of 70 on onus: a poll rewrites every ONU's row (last_seen_at, levels) but
  no indexed column, so with room left in each page the new version stays there (a HOT
  update) and no index, the trigram one least of all, gets an entry. Pages written before
  this keep their old fill until rewritten (VACUUM FULL, or as their rows move).

Revision ID: 0006_list_indexes
Revises: 0005_onu_history
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006_list_indexes"
down_revision = "0005_onu_history"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ("serial", "description", "name", "position", "raw_index", "mac")
FINE_STATISTICS = ("serial", "description", "name")
EXECUTION_INDEXES = {
    "ix_executions_created": ["created_at"],
    "ix_executions_job_name_created": ["job_name", "created_at"],
    "ix_executions_olt_name_created": ["olt_name", "created_at"],
    "ix_executions_trigger_created": ["trigger", "created_at"],
}


def upgrade():
    for name, columns in EXECUTION_INDEXES.items():
        op.create_index(name, "executions", columns)
    op.create_index("ix_onus_state_label", "onus", ["state_label"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: the database's owner may create it (PostgreSQL 13+)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_onus_search_trgm",
            "onus",
            list(SEARCH_COLUMNS),
            postgresql_using="gin",
            postgresql_ops=dict.fromkeys(SEARCH_COLUMNS, "gin_trgm_ops"),
        )
        for column in FINE_STATISTICS:
            op.execute(f"ALTER TABLE onus ALTER COLUMN {column} SET STATISTICS 1000")
        op.execute("ALTER TABLE onus SET (fillfactor = 70)")
        op.execute("ANALYZE onus")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE onus RESET (fillfactor)")
        for column in FINE_STATISTICS:
            op.execute(f"ALTER TABLE onus ALTER COLUMN {column} SET STATISTICS -1")
        op.drop_index("ix_onus_search_trgm", table_name="onus")
        # pg_trgm stays: it may have been there before, and other things may use it
    op.drop_index("ix_onus_state_label", table_name="onus")
    for name in reversed(EXECUTION_INDEXES):
        op.drop_index(name, table_name="executions")
