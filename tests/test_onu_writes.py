"""The store's bulk writes (COPY and a merge on PostgreSQL, executemany on SQLite) store what
SQLAlchemy's own insert and update store, and the store step keeps its results through them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select, update

from jobs import inventory, onu_writes
from snmp.indexes import DecodedIndex
from tests.factories import make_olt
from webapp.extensions import db
from webapp.models import Execution, Onu

NOW = datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=UTC)
AWAY = timezone(timedelta(hours=-3))
SHARED = {"serial": {"at": NOW.isoformat(), "execution": 7}, "name": {"at": "ñ"}}
# values that COPY's text format escapes, or that a processor must convert
TEXTS = ["tab\there", "new\nline", "back\\slash", "Señora Núñez", "", "\\N", "quote'\"", None]


def _row(n: int) -> dict:
    return {
        "raw_index": f"4194312192.{n}",
        "frame": 0,
        "slot": n % 3,
        "port": None if n % 5 == 0 else n % 16,
        "onu_id": n,
        "state_value": n % 4,
        "state_label": TEXTS[n % len(TEXTS)],
        "description": TEXTS[(n + 3) % len(TEXTS)],
        "rx_power_dbm": None if n % 4 == 0 else -20.5 - n / 100,
        "distance_m": n * 7,
        "online_since": None if n % 6 == 0 else (NOW - timedelta(hours=n)).astimezone(AWAY),
        "collected": SHARED if n % 2 else {"mac": {"at": str(n)}},
    }


def _columns(onu: Onu) -> dict:
    skip = {"id", "olt_id", "position"}
    return {c.name: getattr(onu, c.name) for c in Onu.__table__.c if c.name not in skip}


def _onus(olt_id: int) -> dict[str, Onu]:
    db.session.expire_all()
    rows = db.session.scalars(select(Onu).where(Onu.olt_id == olt_id))
    return {o.position: o for o in rows}


def test_bulk_writes_store_what_sqlalchemy_stores(app):
    bulk, core = make_olt(name="bulk"), make_olt(name="core")
    ex = Execution(olt_id=bulk.id, job_name="t", olt_name="bulk")
    db.session.add(ex)
    db.session.commit()
    common = {"present": True, "consecutive_misses": 0, "last_seen_at": NOW}
    common["last_execution_id"] = ex.id
    new = {"first_seen_at": NOW.astimezone(AWAY), "last_change_execution_id": ex.id}
    rows = [dict(_row(n), position=f"0/1/{n % 16}:{n}") for n in range(40)]
    rows.append({"raw_index": "9", "position": "bare"})  # other keys: defaults apply
    ids = onu_writes.write(bulk.id, rows, [], common, dict(new, olt_id=bulk.id))
    for row in rows:
        db.session.execute(insert(Onu), [{**row, **common, **new, "olt_id": core.id}])
    db.session.commit()
    written, expected = _onus(bulk.id), _onus(core.id)
    assert ids == {p: o.id for p, o in written.items()}
    assert {p: _columns(o) for p, o in written.items()} == {
        p: _columns(o) for p, o in expected.items()
    }
    assert written["bare"].collected == {} and written["bare"].present is True

    later = {"last_seen_at": NOW + timedelta(minutes=5), "present": False}
    changes = {p: _row(n + 1) for n, p in enumerate(sorted(written)) if p != "bare"}
    changes["bare"] = {"description": "only this"}
    onu_writes.write(
        bulk.id, [], [dict(c, id=written[p].id) for p, c in changes.items()], later, {}
    )
    for p, change in changes.items():
        db.session.execute(update(Onu).where(Onu.id == expected[p].id).values(**change, **later))
    db.session.commit()
    written, expected = _onus(bulk.id), _onus(core.id)
    assert {p: _columns(o) for p, o in written.items()} == {
        p: _columns(o) for p, o in expected.items()
    }
    assert written["bare"].description == "only this" and not written["bare"].present


def _found(positions: list[str], state: int) -> dict[str, inventory.Sighting]:
    out = {}
    for position in positions:
        onu = int(position.rpartition(":")[2])
        out[position] = inventory.Sighting(DecodedIndex(0, 1, 2, onu), f"1.{onu}", state)
    return out


def _store(olt, obs, ex_id) -> inventory.StoreReport:
    report = inventory.store(olt.id, ex_id, obs, {1: "online", 2: "LOS"}, 2, NOW)
    db.session.commit()
    return report


def test_the_store_inserts_updates_keeps_and_sweeps_through_the_bulk_writes(app):
    olt = make_olt(name="store")
    exs = [Execution(olt_id=olt.id, job_name="t", olt_name="store") for _ in range(4)]
    db.session.add_all(exs)
    db.session.commit()
    positions = [DecodedIndex(0, 1, 2, n).name for n in range(300)]
    serials = {p: f"HWTC{n:08X}" for n, p in enumerate(positions)}
    obs = inventory.Observation(
        found=_found(positions, 1),
        complete=True,
        state_known=True,
        values={"serial": serials, "description": dict.fromkeys(positions, "x")},
        keep_previous=frozenset({"description"}),
        online=frozenset({1}),
    )
    first = _store(olt, obs, exs[0].id)
    assert first.new == 300 and first.stored == {"serial": 300, "description": 300}
    assert first.samples == 300  # the state alone makes a sample, with the new ONUs' ids

    # again: 10 ONUs gone (a first miss), 5 offline, 7 without a description (kept)
    obs.found = _found(positions[10:], 1)
    for p in positions[10:15]:
        obs.found[p] = obs.found[p]._replace(state=2)
    obs.values["description"] = {p: (None if p in positions[20:27] else "y") for p in positions}
    second = _store(olt, obs, exs[1].id)
    assert (second.new, second.missing, second.absent_now) == (0, 10, 0)
    assert second.kept_previous == {"description": 7}
    assert second.stored == {"serial": 290, "description": 283}
    assert second.events == {"offline": 5}
    onus = _onus(olt.id)
    assert onus[positions[20]].description == "x" and onus[positions[30]].description == "y"
    assert set(onus[positions[30]].collected) == {"serial", "description"}
    assert onus[positions[20]].collected["description"]["execution"] == exs[0].id
    assert onus[positions[30]].collected["description"]["execution"] == exs[1].id
    assert onus[positions[12]].last_change_execution_id == exs[1].id
    assert onus[positions[30]].last_change_execution_id == exs[0].id
    assert onus[positions[12]].state_label == "LOS"

    third = _store(olt, obs, exs[2].id)
    assert third.absent_now == 10 and third.absent_total == 10
    onus = _onus(olt.id)
    assert not onus[positions[0]].present and onus[positions[0]].consecutive_misses == 2
    assert onus[positions[50]].last_seen_at == NOW and onus[positions[50]].present


def test_a_store_writes_what_changed_whatever_it_leaves_out(app):
    """The store leaves out of its UPDATE the columns that did not change (raw index, PON,
    state, serial, presence): what changed is still written, what did not stays."""
    olt = make_olt(name="changes")
    exs = [Execution(olt_id=olt.id, job_name="t", olt_name="changes") for _ in range(4)]
    db.session.add_all(exs)
    db.session.commit()
    positions = [DecodedIndex(0, 1, 2, n).name for n in range(40)]
    serials = {p: f"HWTC{n:08X}" for n, p in enumerate(positions)}
    obs = inventory.Observation(
        found=_found(positions, 1),
        complete=True,
        state_known=True,
        values={"serial": dict(serials)},
        online=frozenset({1}),
    )
    _store(olt, obs, exs[0].id)
    obs.found = _found(positions[5:], 1)  # 5 missed twice: absent
    _store(olt, obs, exs[1].id)
    _store(olt, obs, exs[2].id)
    assert sum(not o.present for o in _onus(olt.id).values()) == 5

    obs.found = _found(positions, 1)
    for n in (1, 7):  # seen in another table: another raw index
        obs.found[positions[n]] = obs.found[positions[n]]._replace(raw_index=f"9.{n}")
    obs.found[positions[8]] = obs.found[positions[8]]._replace(state=2)
    obs.found[positions[9]] = obs.found[positions[9]]._replace(state=None)
    obs.values["serial"][positions[10]] = "ZTEG00000010"
    obs.values["serial"][positions[11]] = None
    labels = {1: "up", 2: "LOS renamed"}  # 1 renamed by an operator: written too
    inventory.store(olt.id, exs[3].id, obs, labels, 2, NOW + timedelta(minutes=1))
    db.session.commit()
    onus = _onus(olt.id)
    assert all(o.present and o.consecutive_misses == 0 for o in onus.values())
    assert {p for p, o in onus.items() if o.last_change_execution_id == exs[3].id} == {
        *positions[:5],
        positions[8],
        positions[9],
    }
    assert [onus[positions[n]].raw_index for n in (1, 2, 7)] == ["9.1", "1.2", "9.7"]
    assert (onus[positions[8]].state_value, onus[positions[8]].state_label) == (2, "LOS renamed")
    assert (onus[positions[9]].state_value, onus[positions[9]].state_label) == (None, None)
    assert (onus[positions[12]].state_value, onus[positions[12]].state_label) == (1, "up")
    assert onus[positions[10]].serial == "ZTEG00000010" and onus[positions[11]].serial is None
    assert onus[positions[12]].serial == serials[positions[12]]
    assert {(o.frame, o.slot, o.port, o.onu_id) for o in onus.values()} == {
        (0, 1, 2, n) for n in range(40)
    }
    assert all(o.last_execution_id == exs[3].id for o in onus.values())
    assert all(o.last_seen_at == NOW + timedelta(minutes=1) for o in onus.values())


def test_sqlite_datetimes_are_written_as_sqlalchemy_writes_them():
    """The processor of UTCDateTime columns on SQLite (isoformat in C) gives SQLAlchemy's
    own text for every aware datetime, and SQLAlchemy's answer for anything else."""
    from types import SimpleNamespace

    import pytest
    from sqlalchemy.dialects import sqlite

    conn = SimpleNamespace(dialect=sqlite.dialect())
    column = Onu.__table__.c["online_since"]
    theirs = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    ours = onu_writes._processor(conn, "online_since")
    assert ours is not theirs  # the fast one is in use
    zones = [UTC, AWAY, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=45))]
    when = [NOW, NOW.replace(microsecond=0), datetime(2000, 1, 1, tzinfo=UTC)]
    when += [datetime(9, 2, 3, 4, 5, 6, 7, tzinfo=UTC), datetime(9999, 12, 30, 12, tzinfo=UTC)]
    for at in when:
        for zone in zones:
            assert ours(at.astimezone(zone)) == theirs(at.astimezone(zone)), at
    assert ours(None) is theirs(None) is None
    for naive in (datetime(2026, 1, 2), "2026-01-02"):
        with pytest.raises((ValueError, TypeError, AttributeError)):
            theirs(naive)
        with pytest.raises((ValueError, TypeError, AttributeError)):
            ours(naive)
