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
from collections.abc import Iterable

from sqlalchemy import JSON
from sqlalchemy.engine import Connection

from webapp.extensions import db
from webapp.models import Onu

TABLE = Onu.__table__
_STAGES = itertools.count()  # temporary table names, unique within a session's transaction


def write(
    olt_id: int, inserts: list[dict], updates: list[dict], common: dict, common_new: dict
) -> dict[str, int]:
    """Insert new ONUs and update known ones (by "id") in the session's transaction.

    Rows with the same keys are written together. ``common``: columns set alike on every
    row; ``common_new``: on every new row besides. Returns the new ONUs' ids by position.
    """
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    new_ids: dict[str, int] = {}
    for keys, rows in _groups(updates).items():
        (_pg_update if postgres else _sql_update)(conn, olt_id, keys, rows, common)
    for keys, rows in _groups(inserts).items():
        values = {**_defaults(keys, common, common_new), **common, **common_new}
        new_ids.update((_pg_insert if postgres else _sql_insert)(conn, olt_id, keys, rows, values))
    return new_ids


def _groups(rows: list[dict]) -> dict[tuple[str, ...], list[dict]]:
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return groups


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


def _tuples(conn: Connection, keys: tuple[str, ...], rows: list[dict]) -> list[tuple]:
    """The rows as tuples of values in the database's form (column by column)."""
    columns = []
    for key in keys:
        values = [row[key] for row in rows]
        process = _processor(conn, key)
        if process is not None:
            done: dict[int, object] = {}  # by identity: shared objects are processed once
            values = [
                done[id(v)] if id(v) in done else done.setdefault(id(v), process(v)) for v in values
            ]
        columns.append(values)
    return list(zip(*columns, strict=True))


def _processor(conn: Connection, key: str):
    """The column's bind processor (None: the driver takes the value as it is)."""
    column_type = TABLE.c[key].type
    if isinstance(column_type, JSON):
        # SQLAlchemy's JSON processors send json.dumps(value) (no json_serializer is set);
        # on PostgreSQL wrapped for psycopg, which would serialize a shared dict once per row
        return json.dumps
    return column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def _processed(conn: Connection, values: dict) -> list:
    out = []
    for key, value in values.items():
        process = _processor(conn, key)
        out.append(value if process is None else process(value))
    return out


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _sql_update(
    conn: Connection, olt_id: int, keys: tuple[str, ...], rows: list[dict], common: dict
) -> None:
    """One prepared UPDATE run for every row (SQLite runs executemany in C)."""
    columns = [k for k in keys if k != "id"]
    sets = ", ".join(f"{_quote(conn, c)} = ?" for c in (*common, *columns))
    statement = f"UPDATE {TABLE.name} SET {sets} WHERE id = ? AND olt_id = ?"
    shared, olt = tuple(_processed(conn, common)), (olt_id,)
    ordered = (*columns, "id")
    conn.exec_driver_sql(statement, [shared + row + olt for row in _tuples(conn, ordered, rows)])


def _sql_insert(
    conn: Connection, olt_id: int, keys: tuple[str, ...], rows: list[dict], values: dict
) -> dict[str, int]:
    """One prepared INSERT run for every row; the new ids read back by position."""
    names = ", ".join(_quote(conn, c) for c in (*keys, *values))
    marks = ", ".join("?" for _ in (*keys, *values))
    shared = tuple(_processed(conn, values))
    conn.exec_driver_sql(
        f"INSERT INTO {TABLE.name} ({names}) VALUES ({marks})",
        [row + shared for row in _tuples(conn, keys, rows)],
    )
    added = {row["position"] for row in rows}
    found = conn.exec_driver_sql(
        f"SELECT position, id FROM {TABLE.name} WHERE olt_id = ?", (olt_id,)
    )
    return {position: onu_id for position, onu_id in found if position in added}


def _pg_stage(conn: Connection, keys: tuple[str, ...], rows: list[dict]):
    """COPY the rows into a new temporary table (dropped at commit); its name as SQL."""
    from psycopg import sql

    stage = sql.Identifier(f"onu_stage_{next(_STAGES)}")
    columns = sql.SQL(", ").join(map(sql.Identifier, keys))
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
        ).format(stage, columns, sql.Identifier(TABLE.name))
    )
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, columns)) as copy:
        for row in _tuples(conn, keys, rows):
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
    conn: Connection, olt_id: int, keys: tuple[str, ...], rows: list[dict], common: dict
) -> None:
    """COPY into a temporary table, then one UPDATE joined on the id.

    The OLT's id bounds the join to its own ONUs (an index on olt_id), whatever the plan, in
    a table of a million ONUs."""
    from psycopg import sql

    cursor, stage = _pg_stage(conn, keys, rows)
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
    conn: Connection, olt_id: int, keys: tuple[str, ...], rows: list[dict], values: dict
) -> dict[str, int]:
    """COPY into a temporary table, then one INSERT … SELECT returning the new ids."""
    from psycopg import sql

    cursor, stage = _pg_stage(conn, keys, rows)
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
