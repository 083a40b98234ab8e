"""ONU history: rosters and blocks of packed samples (history/codec.py), and ONU events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime
from webapp.models.inventory import Olt, Onu
from webapp.models.users import User

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits for years of blocks.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class SampleRoster(db.Model):
    """The ONUs of an OLT that one or more blocks hold, as sorted ids (history/codec.py)."""

    __tablename__ = "sample_rosters"
    __table_args__ = (
        UniqueConstraint("olt_id", "digest"),
        Index("ix_sample_rosters_olt_first", "olt_id", "first_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column()
    first_id: Mapped[int] = mapped_column()  # its lowest and highest ONU ids: a chart finds
    last_id: Mapped[int] = mapped_column()  # the rosters that may hold its ONU by range
    onu_ids: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SampleBlock(db.Model):
    """What one poll read of every ONU of a roster (raw), or an hour's or a day's rollup."""

    __tablename__ = "sample_blocks"
    __table_args__ = (
        Index("ix_sample_blocks_olt_res_at", "olt_id", "resolution", "at"),
        Index("ix_sample_blocks_roster_res_at", "roster_id", "resolution", "at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    roster_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("sample_rosters.id", ondelete="CASCADE")
    )
    resolution: Mapped[int] = mapped_column(SmallInteger)  # history.codec RAW, HOUR, DAY
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # poll time, or the period's start
    execution_id: Mapped[int | None] = mapped_column()  # no FK: executions are purged first
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OnuEvent(db.Model):
    """A change the store step saw: an ONU appeared, went offline (and why), came back…"""

    __tablename__ = "onu_events"
    __table_args__ = (
        Index("ix_onu_events_olt_at", "olt_id", "at"),
        Index("ix_onu_events_onu_at", "onu_id", "at"),
        Index("ix_onu_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    onu_id: Mapped[int | None] = mapped_column(ForeignKey("onus.id", ondelete="CASCADE"))
    execution_id: Mapped[int | None] = mapped_column()  # no FK: executions are purged first
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[str] = mapped_column(String(100))
    pon: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    olt: Mapped[Olt] = relationship()
    onu: Mapped[Onu | None] = relationship()


class Alarm(db.Model):
    """A condition staff must see: pending -> active -> (acknowledged) -> cleared."""

    __tablename__ = "alarms"
    __table_args__ = (
        Index("ix_alarms_olt_status", "olt_id", "status"),
        Index("ix_alarms_status_kind", "status", "kind"),
        Index("ix_alarms_onu_kind", "onu_id", "kind"),
        Index("ix_alarms_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    onu_id: Mapped[int | None] = mapped_column(ForeignKey("onus.id", ondelete="CASCADE"))
    pon: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # history.alarms KINDS
    severity: Mapped[str] = mapped_column(String(10))  # warning, major, critical
    status: Mapped[str] = mapped_column(String(10))  # pending, active, cleared
    since: Mapped[datetime] = mapped_column(UTCDateTime)  # when the condition began
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"))
    flaps: Mapped[int] = mapped_column(default=0)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    olt: Mapped[Olt] = relationship()
    onu: Mapped[Onu | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()
    parent: Mapped[Alarm | None] = relationship(remote_side=[id])


class AlarmRule(db.Model):
    """Alarm thresholds and recipients for a profile's OLTs or one OLT (empty = inherited)."""

    __tablename__ = "alarm_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    olt_id: Mapped[int | None] = mapped_column(
        ForeignKey("olts.id", ondelete="CASCADE"), unique=True
    )
    profile_key: Mapped[str | None] = mapped_column(String(40))
    rx_warning: Mapped[float | None] = mapped_column()
    rx_critical: Mapped[float | None] = mapped_column()
    rx_overload: Mapped[float | None] = mapped_column()
    tx_low: Mapped[float | None] = mapped_column()
    tx_high: Mapped[float | None] = mapped_column()
    offline_minutes: Mapped[int | None] = mapped_column()
    olt_failed_polls: Mapped[int | None] = mapped_column()
    pon_outage_min: Mapped[int | None] = mapped_column()
    emails: Mapped[str | None] = mapped_column(String(500))  # comma-separated
    webhook_url: Mapped[str | None] = mapped_column(String(500))

    olt: Mapped[Olt | None] = relationship()


class Notification(db.Model):
    """One message about one alarm to one recipient, delivered by an RQ job with retries."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # webhook, email
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rq_job_id: Mapped[str | None] = mapped_column(String(100))

    alarm: Mapped[Alarm] = relationship()
