"""An ISP's inventory and history for bench/queries.py: OLTs, ONUs and executions, fast.

fill(engine, olts, onus, executions) writes into a migrated, empty database: COPY on
PostgreSQL, multi-row executemany on SQLite. Deterministic (seeded), so that two runs
search for the same serials and names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

VENDORS = (("HWTC", "Huawei"), ("ZTEG", "ZTE"), ("FHTT", "FiberHome"), ("ALCL", "Nokia"))
FIRST = (
    "Juan", "Maria", "Jose", "Ana", "Luis", "Carmen", "Pedro", "Laura", "Diego", "Sofia",
    "Carlos", "Lucia", "Miguel", "Elena", "Jorge", "Paula", "Andres", "Marta", "Pablo", "Rosa",
)  # fmt: skip
LAST = (
    "Garcia", "Rodriguez", "Gonzalez", "Fernandez", "Lopez", "Martinez", "Sanchez", "Perez",
    "Gomez", "Martin", "Jimenez", "Ruiz", "Hernandez", "Diaz", "Moreno", "Alvarez", "Romero",
    "Alonso", "Gutierrez", "Navarro", "Torres", "Dominguez", "Vazquez", "Ramos", "Gil",
    "Ramirez", "Serrano", "Blanco", "Molina", "Morales", "Suarez", "Ortega", "Delgado",
    "Castro", "Ortiz", "Rubio", "Marin", "Sanz", "Iglesias", "Medina",
)  # fmt: skip
STREETS = (
    "Av. Libertador", "Calle Mayor", "Rua das Flores", "Av. Colon", "Calle Sol", "Pasaje Lima",
    "Av. Belgrano", "Calle Real", "Camino Viejo", "Av. del Puerto", "Calle Luna", "Ruta 9",
)  # fmt: skip
# (label, state value, share): what an ISP's ONU list looks like on a normal day
STATES = (("online", 1, 0.86), ("offline", 2, 0.06), ("LOS", 3, 0.04), ("dying-gasp", 4, 0.04))
JOBS = (
    ("poll-optics", "poll"), ("discovery", "discovery"), ("poll-state", "poll"),
    ("get-uptime", "get"), ("poll-full", "poll"), ("get-distance", "get"),
    ("discovery-night", "discovery"), ("poll-rx", "poll"), ("get-sysname", "get"),
    ("poll-desc", "poll"),
)  # fmt: skip
EX_STATUS = (("SUCCESS", 0.85), ("FAILED", 0.10), ("INTERRUPTED", 0.05))
TRIGGERS = (("schedule", 0.85), ("manual", 0.07), ("retry", 0.06), ("cli", 0.02))
ACTIVE_TAIL = 40  # PENDING/RUNNING executions at the end (distinct OLTs: one active per pair)
USERS = ("alice", "bob", "carla", "dmitri")
ONU_COLUMNS = (
    "olt_id", "position", "raw_index", "frame", "slot", "port", "onu_id", "present",
    "consecutive_misses", "first_seen_at", "last_seen_at", "state_value", "state_label",
    "serial", "mac", "name", "description", "distance_m", "rx_power_dbm", "tx_power_dbm",
    "online_since", "collected",
)  # fmt: skip
EX_COLUMNS = (
    "job_id", "olt_id", "job_name", "olt_name", "job_type", "requested_by_name", "trigger",
    "queue", "attempt", "status", "created_at", "started_at", "finished_at", "duration_ms",
    "summary", "error",
)  # fmt: skip


def olt_name(n: int) -> str:
    """The name of the n-th bench OLT (1-based)."""
    return f"olt-{n:04d}"


def serial(rng: random.Random, olt: int) -> str:
    """A vendor serial like HWTC1A2B3C4D: the OLT's vendor prefix and 8 hex digits."""
    return VENDORS[olt % len(VENDORS)][0] + f"{rng.getrandbits(32):08X}"


def _pick(rng: random.Random, weighted) -> tuple:
    x, total = rng.random(), 0.0
    for item in weighted:
        total += item[-1]
        if x < total:
            return item
    return weighted[0]


def onu_rows(olts: int, onus: int, now: datetime) -> Iterator[tuple]:
    """ONUs spread evenly over the OLTs: 4 slots x 16 PONs each, ~3% absent."""
    rng = random.Random(11)
    per_olt = max(1, onus // olts)
    for i in range(onus):
        olt, k = min(i // per_olt, olts - 1) + 1, i % per_olt
        slot, port, onu_id = 1 + (k // 16) % 4, k % 16, k // 64
        label, value, _share = _pick(rng, STATES)
        present = rng.random() > 0.03
        sn = serial(rng, olt)
        who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        where = f"{rng.choice(STREETS)} {rng.randint(1, 3999)}"
        seen = now - timedelta(minutes=rng.randint(0, 15 if present else 60 * 24 * 30))
        yield (
            olt, f"0/{slot}/{port}:{onu_id}", f"{4194304000 + slot * 8192 + port * 256}.{onu_id}",
            0, slot, port, onu_id, present, 0 if present else 3, seen - timedelta(days=200),
            seen, value, label, sn, None, f"ONT_{sn[-6:]}", f"{who} - {where}",
            rng.randint(200, 20000), round(rng.uniform(-28, -16), 2), round(rng.uniform(1, 4), 2),
            seen - timedelta(hours=rng.randint(1, 2000)) if label == "online" else None, "{}",
        )  # fmt: skip


def execution_rows(olts: int, executions: int, now: datetime) -> Iterator[tuple]:
    """Finished executions over the last 90 days, oldest first (ids follow created_at)."""
    rng = random.Random(12)
    start, span = now - timedelta(days=90), 90 * 86400
    for i in range(executions):
        created = start + timedelta(seconds=span * i / executions)
        job = rng.randrange(len(JOBS))
        olt = rng.randint(1, olts)
        status = _pick(rng, EX_STATUS)[0]
        trigger = _pick(rng, TRIGGERS)[0]
        who = rng.choice(USERS) if trigger in ("manual", "cli") else ""
        ms = rng.randint(300, 90_000)
        started = created + timedelta(seconds=rng.uniform(0.01, 3))
        if i >= executions - min(ACTIVE_TAIL, olts):  # the newest few run or wait, one per OLT
            status, olt, ms = ("RUNNING", "PENDING")[i % 2], executions - i, None
        yield (
            job + 1, olt, JOBS[job][0], olt_name(olt), JOBS[job][1], who, trigger,
            "discovery_main", 1 if trigger == "retry" else 0, status, created, started,
            started + timedelta(milliseconds=ms) if ms else None, ms, "{}",
            "SNMP timeout after 2 retries" if status == "FAILED" else None,
        )  # fmt: skip


def _copy(conn, table: str, columns: tuple, rows: Iterator[tuple]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _sqlite_value(value):
    # the layout SQLAlchemy's SQLite DateTime reads back (and sorts) as text
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _insert_many(conn, table: str, columns: tuple, rows: Iterator[tuple], batch=5000) -> None:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(_sqlite_value(v) for v in row))
        if len(chunk) >= batch:
            conn.exec_driver_sql(sql, chunk)
            chunk = []
    if chunk:
        conn.exec_driver_sql(sql, chunk)


def _reference_rows(conn, olts: int, now: datetime) -> None:
    """OLTs and jobs (few rows: plain INSERTs on both databases)."""
    when = now.replace(tzinfo=None) - timedelta(days=400)
    for n in range(1, olts + 1):
        conn.execute(
            text(
                "INSERT INTO olts (id, name, host, snmp_port, snmp_version, community, v3_user,"
                " v3_auth_proto, v3_auth_key, v3_priv_proto, v3_priv_key, v3_context, timeout,"
                " retries, max_repetitions, enabled, description, created_at, auto_detect)"
                " VALUES (:id, :name, :host, 161, '2c', '', '', 'SHA', '', 'AES', '', '', 2, 1,"
                " 25, TRUE, '', :at, FALSE)"
            ),
            {"id": n, "name": olt_name(n), "host": f"10.{n // 250}.{n % 250}.1", "at": when},
        )
    for n, (name, kind) in enumerate(JOBS, start=1):
        conn.execute(
            text(
                "INSERT INTO snmp_jobs (id, name, description, job_type, interval, enabled,"
                " max_retries, retry_delay, options, created_at, updated_at) VALUES"
                " (:id, :name, '', :kind, '15m', TRUE, 2, 30, '{}', :at, :at)"
            ),
            {"id": n, "name": name, "kind": kind, "at": when},
        )


def fill(engine, olts: int, onus: int, executions: int) -> None:
    """Write the OLTs, jobs, ONUs and executions (the database is migrated and empty)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    write = _copy if engine.dialect.name == "postgresql" else _insert_many
    with engine.begin() as conn:
        _reference_rows(conn, olts, now)
        write(conn, "onus", ONU_COLUMNS, onu_rows(olts, onus, now))
        write(conn, "executions", EX_COLUMNS, execution_rows(olts, executions, now))
        if engine.dialect.name == "postgresql":
            for table in ("olts", "snmp_jobs", "onus", "executions"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
