"""Executions: one row per run of one job on one OLT, with a small state machine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jobs.messages import columns, execution_error
from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.inventory import Olt
from webapp.models.jobs import JobHost, SnmpJob
from webapp.models.users import User

PENDING = "PENDING"
RUNNING = "RUNNING"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
INTERRUPTED = "INTERRUPTED"
STATUSES = (PENDING, RUNNING, SUCCESS, FAILED, INTERRUPTED)
ACTIVE = (PENDING, RUNNING)
TERMINAL = (SUCCESS, FAILED, INTERRUPTED)

TRIGGERS = ("manual", "cli", "schedule", "retry")
ACTIVE_SQL = "status IN ('PENDING', 'RUNNING')"


RETRY_SQL = "retry_of_id IS NOT NULL"


class Execution(db.Model):
    """One run of a job on an OLT: who asked, where it ran, how it ended."""

    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_status_created", "status", "created_at"),
        # The list (newest first) and its filters; the dashboard's last 24 hours.
        Index("ix_executions_created", "created_at"),
        Index("ix_executions_job_name_created", "job_name", "created_at"),
        Index("ix_executions_olt_name_created", "olt_name", "created_at"),
        Index("ix_executions_trigger_created", "trigger", "created_at"),
        Index("ix_executions_job_olt_status", "job_id", "olt_id", "status"),
        # What deleting an execution looks up (its retries' SET NULL): without it, each
        # purged execution scanned the table (0009).
        Index(
            "ix_executions_retry_of",
            "retry_of_id",
            sqlite_where=text(RETRY_SQL),
            postgresql_where=text(RETRY_SQL),
        ),
        # At most one PENDING or RUNNING execution per (job, OLT), whoever creates it.
        Index(
            "uq_executions_one_active",
            "job_id",
            "olt_id",
            unique=True,
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("snmp_jobs.id", ondelete="SET NULL"))
    job_host_id: Mapped[int | None] = mapped_column(ForeignKey("job_hosts.id", ondelete="SET NULL"))
    olt_id: Mapped[int | None] = mapped_column(ForeignKey("olts.id", ondelete="SET NULL"))
    # Names kept as text so that history reads well after a job or OLT is deleted.
    job_name: Mapped[str] = mapped_column(String(150), default="")
    olt_name: Mapped[str] = mapped_column(String(100), default="")
    job_type: Mapped[str] = mapped_column(String(20), default="poll")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_name: Mapped[str] = mapped_column(String(120), default="")
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    rq_job_id: Mapped[str | None] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(50), default="discovery_main")
    worker_name: Mapped[str | None] = mapped_column(String(150))
    attempt: Mapped[int] = mapped_column(default=0)
    retry_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the slot it ran for
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column()
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # the English sentence (logs, search, API)
    # The same message as a code and its parameters, rendered in the reader's language
    # (jobs/messages.py); None on rows written before 0010 and for a plain text.
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_params: Mapped[dict | None] = mapped_column(JSON)

    job: Mapped[SnmpJob | None] = relationship()
    job_host: Mapped[JobHost | None] = relationship()
    olt: Mapped[Olt | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"#{self.id} {self.job_name} @ {self.olt_name}"

    @property
    def error_text(self) -> str | None:
        """The error in the current locale's language (the stored English for an old row)."""
        return execution_error(self) or None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def finish(self, status: str, error: str | None = None, summary: dict | None = None) -> None:
        """Move to a terminal status, stamping the finish time and duration."""
        if status not in TERMINAL:
            raise ValueError(f"{status} is not a terminal status")
        now = utcnow()
        self.status = status
        self.finished_at = now
        if self.started_at:
            self.duration_ms = int((now - self.started_at).total_seconds() * 1000)
        for key, value in columns(error).items():  # its code too, if it is a Message
            setattr(self, key, value)
        if summary is not None:
            self.summary = summary
