"""PostgreSQL's COPY for rows built in Python, inside the session's transaction."""

from __future__ import annotations

import json

import psycopg
from sqlalchemy import JSON, Table
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db


def copy_rows(table: Table, rows: list[dict]) -> None:
    """COPY rows (dicts of column name to Python value) into table, on the session's connection.

    Values go through each column type's bind processing (naive UTC for our datetimes,
    encryption for secrets), so a row is stored as an INSERT would store it; JSON columns
    are written as JSON text.
    """
    if not rows:
        return
    names = list(rows[0])
    dialect = db.session.get_bind().dialect
    processors = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, JSON):
            processors.append(lambda v: None if v is None else json.dumps(v))
        else:
            processors.append(column.type.bind_processor(dialect) or (lambda v: v))
    raw = db.session.connection().connection.driver_connection
    columns = ", ".join(f'"{n}"' for n in names)
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([p(row[n]) for p, n in zip(processors, names, strict=True)])
    except psycopg.errors.IntegrityError as exc:
        # what SQLAlchemy raises for the same conflict in an INSERT, for callers that retry
        raise IntegrityError(statement, None, exc) from exc
