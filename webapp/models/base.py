"""Shared column types and helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index
from sqlalchemy.types import TypeDecorator

ONLY_ON = "only_on"  # Index.info key: the one database an index is for


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and always read back timezone-aware (SQLite drops tz)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def postgresql_only(index: Index) -> Index:
    """Create this index on PostgreSQL only (a GIN index, a PostgreSQL operator class…)."""
    index.info[ONLY_ON] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def include_for(dialect_name: str):
    """Alembic's include_object hook that leaves out indexes meant for another database.

    Alembic's autogenerate ignores Index.ddl_if (sqlalchemy/alembic#1491): on SQLite it would
    ask for the PostgreSQL-only indexes that the migrations rightly did not create.
    """

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        only_on = obj.info.get(ONLY_ON) if type_ == "index" and not reflected else None
        return only_on in (None, dialect_name)

    return include_object
