"""ONU history, events, alarms and notifications

- sample_rosters: the sorted ids of the ONUs a block holds (packed 32-bit integers).
- sample_blocks: one block per poll (raw) or per hour and day (rollups) of an OLT, each a
  run of fixed-width records, one per ONU of its roster (history/codec.py). On PostgreSQL
  the data column is stored EXTERNAL (out of line, uncompressed), so that substr() reads
  one ONU's record without fetching the whole block.
- onu_events: what the store step saw change (appeared, offline with its cause, online,
  absent, moved, swapped, rx levels), by OLT, ONU, PON, kind and time.
- alarms (pending, active, cleared; acknowledged by whom), alarm_rules (thresholds and
  recipients per profile or OLT), notifications (webhook and e-mail deliveries).

Revision ID: 0005_onu_history
Revises: 0004_secrets_at_rest
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_onu_history"
down_revision = "0004_secrets_at_rest"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "sample_rosters",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "olt_id", sa.Integer, sa.ForeignKey("olts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_id", sa.Integer, nullable=False),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("onu_ids", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("olt_id", "digest"),
    )
    op.create_index("ix_sample_rosters_olt_first", "sample_rosters", ["olt_id", "first_id"])
    op.create_table(
        "sample_blocks",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "olt_id", sa.Integer, sa.ForeignKey("olts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "roster_id",
            BIG_ID,
            sa.ForeignKey("sample_rosters.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("resolution", sa.SmallInteger, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("execution_id", sa.Integer, nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_sample_blocks_olt_res_at", "sample_blocks", ["olt_id", "resolution", "at"])
    op.create_index(
        "ix_sample_blocks_roster_res_at", "sample_blocks", ["roster_id", "resolution", "at"]
    )  # a chart reads one roster's blocks in a time range
    op.create_table(
        "onu_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "olt_id", sa.Integer, sa.ForeignKey("olts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "onu_id", sa.Integer, sa.ForeignKey("onus.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("execution_id", sa.Integer, nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("position", sa.String(100), nullable=False),
        sa.Column("pon", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_onu_events_olt_at", "onu_events", ["olt_id", "at"])
    op.create_index("ix_onu_events_onu_at", "onu_events", ["onu_id", "at"])
    op.create_index("ix_onu_events_kind_at", "onu_events", ["kind", "at"])
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "olt_id", sa.Integer, sa.ForeignKey("olts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "onu_id", sa.Integer, sa.ForeignKey("onus.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("pon", sa.String(40), nullable=True),
        sa.Column("position", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("since", sa.DateTime, nullable=False),
        sa.Column("raised_at", sa.DateTime, nullable=True),
        sa.Column("changed_at", sa.DateTime, nullable=True),
        sa.Column("cleared_at", sa.DateTime, nullable=True),
        sa.Column("acknowledged_at", sa.DateTime, nullable=True),
        sa.Column(
            "acknowledged_by_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("alarms.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("flaps", sa.Integer, nullable=False),
        sa.Column("notified_at", sa.DateTime, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_alarms_olt_status", "alarms", ["olt_id", "status"])
    op.create_index("ix_alarms_status_kind", "alarms", ["status", "kind"])
    op.create_index("ix_alarms_onu_kind", "alarms", ["onu_id", "kind"])
    op.create_index("ix_alarms_parent", "alarms", ["parent_id"])
    op.create_table(
        "alarm_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "olt_id",
            sa.Integer,
            sa.ForeignKey("olts.id", ondelete="CASCADE"),
            nullable=True,
            unique=True,
        ),
        sa.Column("profile_key", sa.String(40), nullable=True),
        sa.Column("rx_warning", sa.Double(), nullable=True),
        sa.Column("rx_critical", sa.Double(), nullable=True),
        sa.Column("rx_overload", sa.Double(), nullable=True),
        sa.Column("offline_minutes", sa.Integer, nullable=True),
        sa.Column("olt_failed_polls", sa.Integer, nullable=True),
        sa.Column("pon_outage_min", sa.Integer, nullable=True),
        sa.Column("emails", sa.String(500), nullable=True),
        sa.Column("webhook_url", sa.String(500), nullable=True),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "alarm_id", sa.Integer, sa.ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.Column("rq_job_id", sa.String(100), nullable=True),
    )
    op.create_index("ix_notifications_status", "notifications", ["status", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sample_blocks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("notifications")
    op.drop_table("alarm_rules")
    op.drop_table("alarms")
    op.drop_table("onu_events")
    op.drop_table("sample_blocks")
    op.drop_table("sample_rosters")
