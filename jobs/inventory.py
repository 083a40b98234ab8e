"""Store what a walk saw about an OLT's ONUs: one ONU per position, presence with hysteresis.

Every job type stores through here, so a discovery job, a get job and a poll agree on which
ONU a row belongs to whatever table it came from. Presence changes only on a complete walk:
an ONU seen is present again at once; one missing from ``absent_after`` complete walks in a
row becomes absent. Nothing is ever deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update

from jobs import onu_history
from snmp.indexes import DecodedIndex
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow
from webapp.models.inventory import ATTRIBUTE_COLUMNS

CHUNK = 500


@dataclass
class Sighting:
    """One ONU as the enumerating table showed it."""

    decoded: DecodedIndex
    raw_index: str
    state: int | None = None  # the state column's value, when the table is a state column


@dataclass
class Observation:
    """What one execution learnt about an OLT's ONUs.

    ``found``: the ONUs the enumerating table listed (None: the job does not enumerate, as a
    get job); ``complete``: that table was walked to its end without error, so ONUs missing
    from it may lose presence; ``state_known``: ``found`` carries state values;
    ``values``: attribute -> position -> value for the attributes collected.
    """

    found: dict[str, Sighting] | None = None
    complete: bool = False
    state_known: bool = False
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    keep_previous: frozenset[str] = frozenset()
    online: frozenset[int] = frozenset()  # the state values meaning online (for events)


@dataclass
class StoreReport:
    """What storing changed."""

    found: int = 0
    new: int = 0
    reappeared: int = 0
    absent_now: int = 0
    missing: int = 0
    absent_total: int = 0
    states: Counter = field(default_factory=Counter)
    stored: Counter = field(default_factory=Counter)
    kept_previous: Counter = field(default_factory=Counter)
    targets: int = 0
    unknown_rows: int = 0
    no_row: int = 0
    samples: int = 0
    events: Counter = field(default_factory=Counter)
    alarms: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Summary fields."""
        return {
            "found": self.found,
            "new": self.new,
            "reappeared": self.reappeared,
            "absent_now": self.absent_now,
            "missing_not_yet_absent": self.missing,
            "absent_total": self.absent_total,
            "states": dict(self.states),
            "samples": self.samples,
            "events": dict(self.events),
            "alarms": self.alarms,
        }


def _existing(olt_id: int, attributes: list[str]) -> dict[str, object]:
    """Known ONUs of the OLT by position, with the columns this store may compare."""
    columns = [Onu.id, Onu.position, Onu.present, Onu.consecutive_misses, Onu.state_value]
    columns += [Onu.frame, Onu.slot, Onu.port]  # the PON of an event
    columns += [getattr(Onu, ATTRIBUTE_COLUMNS[a]) for a in attributes if a != "state"]
    columns.append(Onu.collected)
    rows = db.session.execute(select(*columns).where(Onu.olt_id == olt_id))
    return {r.position: r for r in rows}


def _state_fields(sighting: Sighting, labels: dict[int, str], report: StoreReport) -> dict:
    value = sighting.state
    label = labels.get(value) if value is not None else None
    report.states[label or ("unknown" if value is None else str(value))] += 1
    return {"state_value": value, "state_label": label}


def _attribute_fields(
    obs: Observation, position: str, old, stamp: dict, report: StoreReport
) -> dict:
    """The attribute columns to write for one ONU (keep-previous applied)."""
    out: dict = {}
    collected = dict(old.collected or {}) if old is not None else {}
    for attribute, values in obs.values.items():
        if attribute == "state":
            continue
        column = ATTRIBUTE_COLUMNS[attribute]
        value = values.get(position)
        previous = getattr(old, column) if old is not None else None
        if value in (None, "") and attribute in obs.keep_previous and previous not in (None, ""):
            report.kept_previous[attribute] += 1
            continue
        out[column] = value
        collected[column] = stamp
        report.stored[attribute] += 1
    if out:
        out["collected"] = collected
    return out


def store(
    olt_id: int,
    execution_id: int,
    obs: Observation,
    labels: dict[int, str],
    absent_after: int,
    now: datetime | None = None,
) -> StoreReport:
    """Write one observation in the caller's transaction; return what changed."""
    now = now or utcnow()
    report = StoreReport()
    existing = _existing(olt_id, list(obs.values))
    stamp = {"at": now.isoformat(), "execution": execution_id}
    inserts, updates = [], []
    if obs.found is not None:
        report.found = len(obs.found)
        for position, sighting in obs.found.items():
            old = existing.get(position)
            d = sighting.decoded
            fields = {
                "present": True,
                "consecutive_misses": 0,
                "last_seen_at": now,
                "raw_index": sighting.raw_index,
                "last_execution_id": execution_id,
            }
            if d.key is None:  # a position; tables indexed by serial say the PON in a column
                fields.update(frame=d.frame, slot=d.slot, port=d.port, onu_id=d.onu_id)
            if obs.state_known:
                fields.update(_state_fields(sighting, labels, report))
            fields.update(_attribute_fields(obs, position, old, stamp, report))
            if old is None:
                report.new += 1
                fields.setdefault("collected", {})
                inserts.append(
                    dict(
                        fields,
                        olt_id=olt_id,
                        position=position,
                        first_seen_at=now,
                        last_change_execution_id=execution_id,
                    )
                )
                continue
            changed = not old.present or (
                obs.state_known and old.state_value != fields.get("state_value")
            )
            if not old.present:
                report.reappeared += 1
            if changed:
                fields["last_change_execution_id"] = execution_id
            updates.append(dict(fields, id=old.id))
    else:
        _collect_only(obs, existing, stamp, execution_id, report, updates)
    _write(inserts, updates)
    gone: list[str] = []
    if obs.found is not None and obs.complete:
        gone = _sweep(existing, obs.found, execution_id, absent_after, report)
    onu_history.after_store(
        olt_id, execution_id, obs, existing, bool(inserts), gone, labels, now, report
    )
    seen = obs.found or {}
    still_absent = sum(1 for p, r in existing.items() if not r.present and p not in seen)
    report.absent_total = still_absent + report.absent_now
    return report


def _collect_only(obs, existing, stamp, execution_id, report, updates) -> None:
    """A get job: values for the present ONUs it knows; rows of unknown positions are counted."""
    present = {p: r for p, r in existing.items() if r.present}
    report.targets = len(present)
    seen = set()
    for values in obs.values.values():
        seen.update(values)
    report.unknown_rows = len(seen - set(existing))
    for position, old in present.items():
        if position not in seen:
            report.no_row += 1  # the walk had no row for it: nothing to say, nothing changed
            continue
        fields = _attribute_fields(obs, position, old, stamp, report)
        if fields:
            updates.append(dict(fields, id=old.id, last_execution_id=execution_id))


def _write(inserts: list[dict], updates: list[dict]) -> None:
    """Insert new ONUs and update known ones in batches (rows with the same keys together).

    SQLAlchemy Core executemany, not the ORM's bulk methods: the ORM's per-row bookkeeping
    was most of a 4,096-ONU store (bench/poll.py).
    """
    table = Onu.__table__
    groups: dict[tuple, list[dict]] = {}
    for row in inserts:
        groups.setdefault(("insert", *sorted(row)), []).append(row)
    for row in updates:
        groups.setdefault(("update", *sorted(row)), []).append(row)
    for key, rows in groups.items():
        if key[0] == "insert":
            statement, params = table.insert(), rows
        else:
            statement = table.update().where(table.c.id == bindparam("onu_id_"))
            params = [
                {**{k: v for k, v in r.items() if k != "id"}, "onu_id_": r["id"]} for r in rows
            ]
        for start in range(0, len(params), CHUNK):
            db.session.execute(statement, params[start : start + CHUNK])


def _sweep(existing: dict, found: dict, execution_id: int, absent_after: int, report) -> list[str]:
    """A miss for every known ONU the complete walk did not list; absent after enough misses.

    Returns the positions that became absent."""
    to_absent, counted, gone = [], [], []
    for position, row in existing.items():
        if position in found:
            continue
        misses = (row.consecutive_misses or 0) + 1
        if row.present and misses >= absent_after:
            to_absent.append(row.id)
            gone.append(position)
        else:
            counted.append(row.id)
            if row.present:
                report.missing += 1
    for ids, values in (
        (to_absent, {"present": False, "last_change_execution_id": execution_id}),
        (counted, {}),
    ):
        for start in range(0, len(ids), CHUNK):
            db.session.execute(
                update(Onu)
                .where(Onu.id.in_(ids[start : start + CHUNK]))
                .values(consecutive_misses=Onu.consecutive_misses + 1, **values)
                .execution_options(synchronize_session=False)
            )
    report.absent_now = len(to_absent)
    return gone
