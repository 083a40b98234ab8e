"""Time the store step of a 16,384-ONU poll (no SNMP) on SQLite and, if configured, PostgreSQL.

Usage: python bench/store.py [--onus 16384] [--runs 3] [--shape huawei] [--phases]

The poll's walk is built from the lab's rows (snmp/lab/generate.py) as VarBinds, so only the
store is timed: decoding, the ONU upsert, presence, and the history samples, events and alarms
written in the same transaction, up to its commit. Cases: ``new`` (an empty inventory: every
ONU inserted), ``again`` (the same walk: every ONU updated), ``sweep`` (1% of the ONUs gone,
the second miss that marks them absent). PostgreSQL is used when TEST_DATABASE_URL is set (a
throw-away database is created next to it and dropped afterwards). ``--phases`` prints where
the time goes. The last line is `store16k_sqlite_s=<s> store16k_pg_s=<s>` (the slower of the
new and again medians; "nan" for a database not measured).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ONUS = 16_384
# what --phases times: (module, function) wrapped by a timer while the bench runs
PHASES = (
    ("jobs.types._rows", "decode_rows"),
    ("jobs.types.poll", "_states"),
    ("jobs.types.poll", "_values"),
    ("jobs.inventory", "store"),
    ("jobs.inventory", "_sightings"),
    ("jobs.inventory", "_existing"),
    ("jobs.onu_writes", "write"),
    ("jobs.inventory", "_write"),
    ("jobs.inventory", "_sweep"),
    ("jobs.onu_history", "after_store"),
    ("jobs.onu_history", "_samples"),
    ("jobs.onu_history", "_events"),
    ("jobs.onu_history", "_alarms"),
)


def varbinds(rows: list[tuple[str, str, str]]) -> dict[str, list]:
    """snmprec rows as the VarBinds a walk returns, by OID (what the agent would answer)."""
    from snmp.codec import VarBind, render_octets

    kinds = {"2": "Integer", "65": "Counter32", "66": "Gauge32", "67": "TimeTicks"}
    kinds["70"] = "Counter64"
    out = {}
    for oid, tag, value in rows:
        if tag in ("4", "4x"):
            raw = bytes.fromhex(value) if tag == "4x" else value.encode("ascii")
            out[oid] = VarBind(oid, "OctetString", render_octets(raw), raw)
        elif tag == "64":
            out[oid] = VarBind(oid, "IpAddress", value)
        elif tag == "6":
            out[oid] = VarBind(oid, "ObjectIdentifier", value)
        else:
            out[oid] = VarBind(oid, kinds[tag], int(value))
    return out


def poll_walk(olt_id: int, shape: str, onus: list):
    """The poll type's (context, plan, walked) for a lab OLT serving these LabOnus (app
    context)."""
    from jobs.columns import Scope, olt_columns
    from jobs.context import RunContext
    from jobs.types import _rows
    from jobs.types import poll as poll_type
    from snmp.client import Target
    from snmp.lab.generate import rows_of
    from webapp.extensions import db
    from webapp.models import Olt

    olt = db.session.get(Olt, olt_id)
    scope = Scope(olt.brand_id, olt.model_id, olt.profile_key)
    plan = poll_type.Plan(scope.profile.key, tuple(olt_columns(scope)), False)
    by_oid = varbinds(rows_of(shape, onus, seed=5))
    rows = {c.oid: [] for c in plan.columns}
    names: dict[int, list[str]] = defaultdict(list)
    for oid, vb in by_oid.items():
        column = next((c for c in _rows.NAME_COLUMNS if oid.startswith(c + ".")), None)
        if column is not None:
            names[int(oid[len(column) + 1 :])].append(str(vb.value or "").strip())
        column, _, _index = oid.rpartition(".")  # the lab's indexes are one arc, or more:
        while column and column not in rows:
            column = column.rpartition(".")[0]
        if column:
            rows[column].append(vb)
    usable = [c for c in plan.columns if rows[c.oid]]
    presence, chosen = poll_type._presence(usable), poll_type._choose(usable)
    probe = {c.oid: "answered" if rows[c.oid] else "no rows" for c in plan.columns}
    names_ = {k: tuple(v) for k, v in names.items()}
    walked = poll_type.Walked(presence, chosen, rows, names_, probe)
    ctx = RunContext(0, "poll", olt_id, olt.name, "bench", scope, Target("127.0.0.1"))
    return ctx, plan, walked


def _setup(url: str, shape: str):
    from flask_migrate import upgrade

    from jobs.olts import NewOlt, add_olt
    from snmp.lab.generate import get_shape
    from snmp.profiles import get_profile
    from webapp import create_app
    from webapp.extensions import db

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}
    app = create_app(dict(config, REDIS_URL="redis://127.0.0.1:1/0"))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        profile = get_profile(get_shape(shape).profile)
        olt = add_olt(
            NewOlt(name="bench-olt", host="127.0.0.1", community="bench",
                   brand=profile.brand, model=profile.models[0])
        )  # fmt: skip
        olt_id = olt.id
        db.session.remove()
    return app, olt_id


def _execution(olt_id: int) -> int:
    from webapp.extensions import db
    from webapp.models import Execution

    ex = Execution(olt_id=olt_id, job_name="bench", olt_name="bench-olt", job_type="poll")
    db.session.add(ex)
    db.session.commit()
    return ex.id


def store_once(app, olt_id: int, walk, cpu: list | None = None) -> float:
    """Seconds of one poll's store step, from the type's store to the commit (its CPU
    seconds in this process appended to ``cpu``)."""
    from dataclasses import replace

    from jobs.types._rows import paused_gc
    from jobs.types.poll import TYPE
    from webapp.extensions import db

    ctx, plan, walked = walk
    with app.app_context():
        ctx = replace(ctx, execution_id=_execution(olt_id))
        # as the runner stores: without the cyclic collector for the whole run (jobs/runner.py)
        with paused_gc():
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = TYPE.store(ctx, plan, walked)
            db.session.commit()
            elapsed = time.perf_counter() - started
            if cpu is not None:
                cpu.append(time.process_time() - cpu_started)
        db.session.remove()
    assert summary["undecoded"] == 0, summary
    return elapsed


def _reset(app) -> None:
    from sqlalchemy import delete

    from webapp.extensions import db
    from webapp.models import Onu
    from webapp.models.history import Alarm, Notification, OnuEvent, SampleBlock, SampleRoster

    with app.app_context():
        for model in (Notification, Alarm, OnuEvent, SampleBlock, SampleRoster, Onu):
            db.session.execute(delete(model))
        db.session.commit()


def measure(url: str, onus: int = ONUS, runs: int = 3, shape: str = "huawei") -> dict:
    """Median seconds of the new, again and sweep cases on the database at ``url`` (wall,
    and ``*_cpu_s``: this process's CPU, the server's not included)."""
    from snmp.lab.generate import lab_onus

    app, olt_id = _setup(url, shape)
    lab = lab_onus(shape, onus, seed=5)
    with app.app_context():
        full = poll_walk(olt_id, shape, lab)
        fewer = poll_walk(olt_id, shape, lab[max(1, onus // 100) :])
    cases: dict[str, list[float]] = {"new_s": [], "again_s": [], "sweep_s": []}
    cpu: dict[str, list[float]] = {"new_cpu_s": [], "again_cpu_s": [], "sweep_cpu_s": []}
    try:
        for _ in range(runs):
            _reset(app)
            cases["new_s"].append(store_once(app, olt_id, full, cpu["new_cpu_s"]))
            cases["again_s"].append(store_once(app, olt_id, full, cpu["again_cpu_s"]))
            store_once(app, olt_id, fewer)  # a first miss (ABSENT_AFTER_MISSES = 2)
            cases["sweep_s"].append(store_once(app, olt_id, fewer, cpu["sweep_cpu_s"]))
    finally:
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
    return {k: statistics.median(v) for k, v in {**cases, **cpu}.items()}


@contextmanager
def throwaway_postgres(base: str):
    """Yield the URL of a new PostgreSQL database next to ``base``; drop it afterwards."""
    import upsert  # bench/upsert.py: the throw-away PostgreSQL database of every bench
    from sqlalchemy import text

    admin, name, url = upsert._postgres(base)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _database(database_url: str | None):
    """None: a temporary SQLite file; SQLite: as given; PostgreSQL: a throw-away database."""
    if database_url is not None and database_url.startswith("sqlite"):
        yield database_url
    elif database_url is None:
        with tempfile.TemporaryDirectory(prefix="oltwatch-store-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
    else:
        with throwaway_postgres(database_url) as url:
            yield url


def measure_store16k(database_url: str | None, runs: int = 3) -> dict:
    """{"new_s", "again_s", "sweep_s"}: a 16,384-ONU poll's store (None: a temporary SQLite
    file; a PostgreSQL URL: a throw-away database created next to it)."""
    with _database(database_url) as url:
        return measure(url, ONUS, runs)


@contextmanager
def timed_phases():
    """Wrap PHASES with timers; yield {"module.function": [total seconds, calls]}."""
    import functools
    import importlib

    spent: dict[str, list] = defaultdict(lambda: [0.0, 0])
    saved = []
    for module_name, name in PHASES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a phase of another version of the code
            continue
        original = getattr(module, name, None)
        if original is None:
            continue

        @functools.wraps(original)
        def timer(*args, _f=original, _key=f"{module_name}.{name}", **kwargs):
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_key][0] += time.perf_counter() - started
                spent[_key][1] += 1

        saved.append((module, name, original))
        setattr(module, name, timer)
    try:
        yield spent
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=ONUS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", default="huawei", help="a lab shape (snmp/lab/generate.py)")
    parser.add_argument("--phases", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    results, phases = {}, {}
    databases = {"sqlite": None}
    if os.environ.get("TEST_DATABASE_URL"):
        databases["pg"] = os.environ["TEST_DATABASE_URL"]
    else:
        print("notice: TEST_DATABASE_URL is not set; PostgreSQL not measured")
    for key, base in databases.items():
        with timed_phases() as spent, _database(base) as url:
            results[key] = measure(url, args.onus, args.runs, args.shape)
        phases[key] = dict(spent)
    for key, cases in results.items():
        shown = "  ".join(f"{case} {s:.3f}" for case, s in cases.items())
        print(f"{key:<7} {args.onus} ONUs ({args.shape} poll, median of {args.runs}): {shown}")
        if args.phases:
            stores = 4 * args.runs  # per store call, over every case
            for name, (total, calls) in sorted(phases[key].items(), key=lambda p: -p[1][0]):
                print(f"    {name:<32} {total / stores:.3f} s per store ({calls} calls)")
    worst = {k: max(c["new_s"], c["again_s"]) for k, c in results.items()}
    sqlite_s, pg_s = worst.get("sqlite", float("nan")), worst.get("pg", float("nan"))
    print(f"store16k_sqlite_s={sqlite_s:.3f} store16k_pg_s={pg_s:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
