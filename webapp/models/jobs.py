"""SNMP jobs and the OLTs they run on (job hosts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jobs.types import NAMES as JOB_TYPES  # the registry's names only: no worker code
from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.inventory import Brand, Oid, Olt

__all__ = ["JOB_TYPES", "JobHost", "SnmpJob"]


class SnmpJob(db.Model):
    """What to collect (a poll, or one OID), from which OLTs, on what schedule.

    A job with neither interval nor cron runs only when asked (manual).
    """

    __tablename__ = "snmp_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="SET NULL"))
    job_type: Mapped[str] = mapped_column(String(20), default="poll")
    oid_id: Mapped[int | None] = mapped_column(ForeignKey("oids.id", ondelete="SET NULL"))
    interval: Mapped[str | None] = mapped_column(String(16))
    cron: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=True)
    max_retries: Mapped[int] = mapped_column(default=2)
    retry_delay: Mapped[int] = mapped_column(default=30)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    brand: Mapped[Brand | None] = relationship()
    oid: Mapped[Oid | None] = relationship()
    hosts: Mapped[list[JobHost]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobHost.id"
    )

    def __str__(self) -> str:
        return self.name


class JobHost(db.Model):
    """One OLT of one job, with its own enabled flag and success/failure counters."""

    __tablename__ = "job_hosts"
    __table_args__ = (UniqueConstraint("job_id", "olt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("snmp_jobs.id", ondelete="CASCADE"))
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(default=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[SnmpJob] = relationship(back_populates="hosts")
    olt: Mapped[Olt] = relationship()

    def __str__(self) -> str:
        return f"{self.olt.name if self.olt else self.olt_id}"

    def record_success(self, when: datetime) -> None:
        """Reset the failure streak after a successful run."""
        self.last_success_at = when
        self.consecutive_failures = 0

    def record_failure(self, when: datetime) -> None:
        """Count one more failed run."""
        self.last_failure_at = when
        self.consecutive_failures = (self.consecutive_failures or 0) + 1
