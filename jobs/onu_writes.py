"""Write an OLT's ONU rows in bulk: COPY and one merge on PostgreSQL, executemany on SQLite.

The store step writes every ONU of an OLT on every run (16,384 on the largest OLTs). Through
SQLAlchemy's executemany, per-row parameter handling and, on PostgreSQL, one round trip per
row were most of its time (bench/store.py). Here every value still goes through its column's
own bind processor, so what is stored is what SQLAlchemy would store; values shared by every
row (the run's time and execution) are processed and sent once, and a value object shared by
many rows (an ONU's ``collected`` stamps) is processed once.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import JSON, Float
from sqlalchemy.engine import Connection

from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import UTCDateTime

TABLE = Onu.__table__
_STAGES = itertools.count()  # temporary table names, unique within a session's transaction


@dataclass(frozen=True)
class Columns:
    """Rows given column by column: their keys, and one list of values per key (of the
    same length). The store builds most of a poll's rows so, without a dict per ONU."""

    keys: tuple[str, ...]
    values: list[list]


def write(
    olt_id: int,
    inserts: list[dict | Columns],
    updates: list[dict | Columns],
    common: dict,
    common_new: dict,
) -> dict[str, int]:
    """Insert new ONUs and update known ones (by "id") in the session's transaction.

    Rows with the same keys are written together; a row is a dict, or ``Columns`` gives
    many. ``common``: columns set alike on every row; ``common_new``: on every new row
    besides. Returns the new ONUs' ids by position.
    """
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    new_ids: dict[str, int] = {}
    for keys, columns in _groups(updates):
        (_pg_update if postgres else _sql_update)(conn, olt_id, keys, columns, common)
    for keys, columns in _groups(inserts):
        values = {**_defaults(keys, common, common_new), **common, **common_new}
        write_new = _pg_insert if postgres else _sql_insert
        new_ids.update(write_new(conn, olt_id, keys, columns, values))
    return new_ids


def _groups(rows: list[dict | Columns]) -> list[tuple[tuple[str, ...], list[list]]]:
    """(keys, one list of values per key) of the rows with the same keys."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    out = []
    for row in rows:
        if isinstance(row, Columns):
            if row.values and row.values[0]:
                out.append((row.keys, row.values))
        else:
            groups.setdefault(tuple(row), []).append(row)
    for keys, group in groups.items():
        out.append((keys, [[row[key] for row in group] for key in keys]))
    return out


def _defaults(keys: Iterable[str], *given: dict) -> dict:
    """The Python-side column defaults SQLAlchemy would apply to an insert without them."""
    named = set(keys).union(*given)
    out = {}
    for column in TABLE.c:
        default = column.default
        if column.name in named or default is None:
            continue
        if not (default.is_scalar or default.is_callable):
            continue
        out[column.name] = default.arg if default.is_scalar else default.arg(None)
    return out


def _tuples(conn: Connection, keys: tuple[str, ...], columns: list[list], *ends) -> Iterator:
    """The rows as tuples of values in the database's form (processed column by column);
    ``ends``: (values before, values after) shared by every row."""
    processed = []
    for key, values in zip(keys, columns, strict=True):
        process = _processor(conn, key)
        if process is json.dumps:
            done: dict[int, object] = {}  # by identity: shared objects are processed once
            values = [
                done[id(v)] if id(v) in done else done.setdefault(id(v), process(v)) for v in values
            ]
        elif process is not None and not _as_they_are(key, values):
            values = list(map(process, values))
        processed.append(values)
    count = len(processed[0]) if processed else 0
    before, after = ends or ((), ())
    return zip(
        *(itertools.repeat(v, count) for v in before),
        *processed,
        *(itertools.repeat(v, count) for v in after),
        strict=False,  # (the repeats are as long as the columns)
    )


def _as_they_are(key: str, values: list) -> bool:
    """Whether a column's values need no processing: floats (or None) for a Float column,
    whose processor (float()) would give them back as they are."""
    if not isinstance(TABLE.c[key].type, Float):
        return False
    return set(map(type, values)) <= _FLOATS


_FLOATS = {float, type(None)}


def _processor(conn: Connection, key: str):
    """The column's bind processor (None: the driver takes the value as it is)."""
    column_type = TABLE.c[key].type
    if isinstance(column_type, JSON):
        # SQLAlchemy's JSON processors send json.dumps(value) (no json_serializer is set);
        # on PostgreSQL wrapped for psycopg, which would serialize a shared dict once per row
        return json.dumps
    process = column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if isinstance(column_type, UTCDateTime) and conn.dialect.name == "sqlite":
        return _sqlite_utc(process, column_type.impl.dialect_impl(conn.dialect))
    return process


_SQLITE_DATETIME = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def _sqlite_utc(process, impl):
    """UTCDateTime's processor on SQLite, the text of an aware datetime made by isoformat in C
    (SQLAlchemy's % formatting of seven fields was most of writing a poll's uptimes); the
    same text as SQLAlchemy's (tests/test_onu_writes.py), which has anything else."""
    if getattr(impl, "_storage_format", None) != _SQLITE_DATETIME:
        return process

    def utc_text(value):
        if type(value) is datetime:
            if value.tzinfo is UTC:  # most: the store's own times, converted uptimes
                return value.isoformat(" ", "microseconds")[:-6]  # less its "+00:00"
            if value.tzinfo is not None:
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return process(value)

    return utc_text


def _processed(conn: Connection, values: dict) -> list:
    out = []
    for key, value in values.items():
        process = _processor(conn, key)
        out.append(value if process is None else process(value))
    return out


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _sql_update(
    conn: Connection, olt_id: int, keys: tuple[str, ...], columns: list[list], common: dict
) -> None:
    """One prepared UPDATE run for every row (SQLite runs executemany in C)."""
    names = [k for k in keys if k != "id"]
    sets = ", ".join(f"{_quote(conn, c)} = ?" for c in (*common, *names))
    statement = f"UPDATE {TABLE.name} SET {sets} WHERE id = ? AND olt_id = ?"
    at = keys.index("id")
    ordered = (*keys[:at], *keys[at + 1 :], "id")
    values = [*columns[:at], *columns[at + 1 :], columns[at]]
    rows = _tuples(conn, ordered, values, _processed(conn, common), (olt_id,))
    conn.exec_driver_sql(statement, list(rows))


def _sql_insert(
    conn: Connection, olt_id: int, keys: tuple[str, ...], columns: list[list], values: dict
) -> dict[str, int]:
    """One prepared INSERT run for every row; the new ids read back by position."""
    names = ", ".join(_quote(conn, c) for c in (*keys, *values))
    marks = ", ".join("?" for _ in (*keys, *values))
    rows = _tuples(conn, keys, columns, (), _processed(conn, values))
    conn.exec_driver_sql(f"INSERT INTO {TABLE.name} ({names}) VALUES ({marks})", list(rows))
    added = set(columns[keys.index("position")])
    found = conn.exec_driver_sql(
        f"SELECT position, id FROM {TABLE.name} WHERE olt_id = ?", (olt_id,)
    )
    return {position: onu_id for position, onu_id in found if position in added}


def _pg_stage(conn: Connection, keys: tuple[str, ...], columns: list[list]):
    """COPY the rows into a new temporary table (dropped at commit); its name as SQL."""
    from psycopg import sql

    stage = sql.Identifier(f"onu_stage_{next(_STAGES)}")
    names = sql.SQL(", ").join(map(sql.Identifier, keys))
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
        ).format(stage, names, sql.Identifier(TABLE.name))
    )
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, names)) as copy:
        for row in _tuples(conn, keys, columns):
            copy.write_row(row)
    return cursor, stage


def _pg_shared(conn: Connection, values: dict):
    """Placeholders for values shared by every row, cast to their columns' types."""
    from psycopg import sql

    return [
        sql.SQL("CAST(%s AS {})").format(sql.SQL(TABLE.c[k].type.compile(dialect=conn.dialect)))
        for k in values
    ]


def _pg_update(
    conn: Connection, olt_id: int, keys: tuple[str, ...], columns: list[list], common: dict
) -> None:
    """COPY into a temporary table, then one UPDATE joined on the id.

    The OLT's id bounds the join to its own ONUs (an index on olt_id), whatever the plan, in
    a table of a million ONUs."""
    from psycopg import sql

    cursor, stage = _pg_stage(conn, keys, columns)
    sets = [sql.SQL("{0} = s.{0}").format(sql.Identifier(k)) for k in keys if k != "id"]
    shared = zip(common, _pg_shared(conn, common), strict=True)
    sets += [sql.SQL("{} = {}").format(sql.Identifier(k), cast) for k, cast in shared]
    cursor.execute(
        sql.SQL("UPDATE {} AS o SET {} FROM {} AS s WHERE o.id = s.id AND o.olt_id = %s").format(
            sql.Identifier(TABLE.name), sql.SQL(", ").join(sets), stage
        ),
        [*_processed(conn, common), olt_id],
    )
    cursor.close()


def _pg_insert(
    conn: Connection, olt_id: int, keys: tuple[str, ...], columns: list[list], values: dict
) -> dict[str, int]:
    """COPY into a temporary table, then one INSERT … SELECT returning the new ids."""
    from psycopg import sql

    cursor, stage = _pg_stage(conn, keys, columns)
    names = sql.SQL(", ").join(map(sql.Identifier, (*keys, *values)))
    picked = [sql.SQL("s.{}").format(sql.Identifier(k)) for k in keys]
    picked += _pg_shared(conn, values)
    cursor.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} AS s RETURNING position, id").format(
            sql.Identifier(TABLE.name), names, sql.SQL(", ").join(picked), stage
        ),
        _processed(conn, values),
    )
    out = dict(cursor.fetchall())
    cursor.close()
    return out
