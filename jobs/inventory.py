"""Store what a walk saw about an OLT's ONUs: one ONU per position, presence with hysteresis.

Every job type stores through here, so a discovery job, a get job and a poll agree on which
ONU a row belongs to whatever table it came from. Presence changes only on a complete walk:
an ONU seen is present again at once; one missing from ``absent_after`` complete walks in a
row becomes absent. Nothing is ever deleted.
"""

from __future__ import annotations

import collections
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Text, cast, select, update

from jobs import onu_history, onu_writes
from jobs.types._rows import paused_gc
from snmp.indexes import DecodedIndex
from webapp.extensions import db
from webapp.models import Onu
from webapp.models.base import utcnow
from webapp.models.inventory import ATTRIBUTE_COLUMNS

CHUNK = 500


class Sighting(NamedTuple):
    """One ONU as the enumerating table showed it (a named tuple: a poll makes one per ONU,
    and a tuple is made in C)."""

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
    present_total: int | None = None  # ONUs of the OLT present now (an enumerating walk)
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
            **({} if self.present_total is None else {"present_total": self.present_total}),
            "states": dict(self.states),
            "samples": self.samples,
            "events": dict(self.events),
            "alarms": self.alarms,
        }


def _existing(olt_id: int, obs: Observation) -> dict[str, object]:
    """Known ONUs of the OLT by position, with the columns this store compares or keeps.

    ``collected`` is read as its JSON text: rows that share it (most do) are merged once.
    """
    columns = [Onu.id, Onu.position, Onu.present, Onu.consecutive_misses, Onu.state_value]
    columns.append(Onu.state_label)  # written only where it changes (_sightings)
    columns += [Onu.frame, Onu.slot, Onu.port]  # the PON of an event
    columns += [Onu.onu_id, Onu.raw_index]  # written only where they change (_sightings)
    wanted = set(obs.keep_previous) | ({"serial", "rx_power"} & set(obs.values))  # events
    columns += [getattr(Onu, ATTRIBUTE_COLUMNS[a]) for a in sorted(wanted) if a != "state"]
    columns.append(cast(Onu.collected, Text).label("collected_json"))
    result = db.session.connection().execute(select(*columns).where(Onu.olt_id == olt_id))
    # the driver's tuples as named tuples: a SQLAlchemy Row's attributes take microseconds
    # each, and the store reads a dozen of every ONU's (none of these columns needs a
    # result processor but ``present``, whose 0/1 on SQLite is read only as true or false)
    make = _known_onu(tuple(result.keys()))._make
    rows = list(map(make, result.cursor.fetchall()))
    result.close()
    return {r.position: r for r in rows}


@functools.cache
def _known_onu(fields: tuple[str, ...]) -> type:
    """A named tuple of these fields with a Row's ``_mapping`` (as history.events reads it)."""
    base = collections.namedtuple("KnownOnu", fields)
    return type("KnownOnu", (base,), {"__slots__": (), "_mapping": property(base._asdict)})


class _Attributes:
    """The attribute columns to write for each ONU (keep-previous applied), and the stamps of
    what was collected when; ONUs with the same stamps before share one ``collected`` dict."""

    def __init__(self, obs: Observation, stamp: dict) -> None:
        self.items = [(ATTRIBUTE_COLUMNS[a], v) for a, v in obs.values.items() if a != "state"]
        self.keep = [(a, ATTRIBUTE_COLUMNS[a]) for a in obs.values if a in obs.keep_previous]
        self.stamp = stamp
        self.kept: Counter = Counter()
        self.calls = 0
        self.merged: dict[tuple, dict] = {}
        self.parsed: dict[str, dict] = {}

    def fields(self, position: str, old) -> dict:
        """The columns to write for the ONU at ``position`` (``old``: its row, or None)."""
        if not self.items:
            return {}
        self.calls += 1
        out = {column: values.get(position) for column, values in self.items}
        kept: tuple = ()
        if self.keep and old is not None:
            kept = tuple(
                (a, c)
                for a, c in self.keep
                if out[c] in (None, "") and getattr(old, c) not in (None, "")
            )
            for a, c in kept:
                del out[c]
                self.kept[a] += 1
            if not out:
                return out
        before = old.collected_json if old is not None else None
        collected = self.merged.get((before, kept))
        if collected is None:
            collected = self._parsed(before)
            collected.update(dict.fromkeys(out, self.stamp))
            self.merged[(before, kept)] = collected
        out["collected"] = collected
        return out

    def shared(self, before: str | None) -> dict:
        """fields()' ``collected`` for an ONU with nothing kept (``before``: its JSON text)."""
        collected = self.merged.get((before, ()))
        if collected is None:
            collected = self._parsed(before)
            collected.update(dict.fromkeys((c for c, _v in self.items), self.stamp))
            self.merged[(before, ())] = collected
        return collected

    def columns(self, positions: list[str], olds: list | None, leave: str = "") -> tuple:
        """fields() of ONUs with nothing kept, column by column: (keys, one list per key);
        ``leave``: a column left out (the serial where it did not change)."""
        if not self.items:
            return (), []
        self.calls += len(positions)
        keys = [c for c, _v in self.items if c != leave]
        columns = [list(map(v.get, positions)) for c, v in self.items if c != leave]
        if olds is None:
            columns.append([self.shared(None)] * len(positions))
        else:
            columns.append(list(map(self.shared, [old.collected_json for old in olds])))
        return (*keys, "collected"), columns

    def _parsed(self, text: str | None) -> dict:
        if text not in self.parsed:
            self.parsed[text] = json.loads(text) if text else {}
        return dict(self.parsed[text])

    def count(self, obs: Observation, report: StoreReport) -> None:
        """Add what was stored and kept to the report."""
        report.kept_previous.update(self.kept)
        for attribute in obs.values:
            if attribute != "state" and self.calls - self.kept[attribute] > 0:
                report.stored[attribute] += self.calls - self.kept[attribute]


def store(
    olt_id: int,
    execution_id: int,
    obs: Observation,
    labels: dict[int, str],
    absent_after: int,
    now: datetime | None = None,
) -> StoreReport:
    """Write one observation in the caller's transaction; return what changed."""
    with paused_gc():  # see paused_gc: its row dicts and history all survive the store
        return _store(olt_id, execution_id, obs, labels, absent_after, now)


def _store(olt_id, execution_id, obs, labels, absent_after, now) -> StoreReport:
    now = now or utcnow()
    report = StoreReport()
    existing = _existing(olt_id, obs)
    attributes = _Attributes(obs, {"at": now.isoformat(), "execution": execution_id})
    if obs.found is not None:
        inserts, updates = _sightings(obs, existing, attributes, labels, execution_id, report)
        common = {"consecutive_misses": 0, "last_seen_at": now}  # present: where it changes
    else:
        inserts, updates = [], _collect_only(obs, existing, attributes, report)
        common = {}
    attributes.count(obs, report)
    common["last_execution_id"] = execution_id
    new = {"olt_id": olt_id, "first_seen_at": now, "last_change_execution_id": execution_id}
    if obs.found is not None:
        new["present"] = True
    new_ids = onu_writes.write(olt_id, inserts, updates, common, new)
    gone: list[str] = []
    if obs.found is not None and obs.complete:
        gone = _sweep(existing, obs.found, execution_id, absent_after, report)
    onu_history.after_store(olt_id, execution_id, obs, existing, new_ids, gone, labels, now, report)
    seen = obs.found or {}
    still_absent = sum(1 for p, r in existing.items() if not r.present and p not in seen)
    report.absent_total = still_absent + report.absent_now
    if obs.found is not None:  # how many are present now: /metrics reads it, not the table
        report.present_total = len(existing) + len(new_ids) - report.absent_total
    return report


def _sightings(obs, existing, attributes, labels, execution_id, report) -> tuple[list, list]:
    """The rows to insert and to update for the ONUs an enumerating walk found.

    Most ONUs of a poll are known and change nothing but their values (the same index, PON,
    state and serial, nothing kept from before): they are written column by column
    (onu_writes.Columns), and so are the new ONUs; only the others get a row of their own.
    """
    inserts, updates = [], []
    states = report.states
    found = obs.found
    report.found = len(found)
    state_known = obs.state_known
    serials = obs.values.get("serial")
    keeps = [(obs.values[a], c) for a, c in attributes.keep]
    new, new_keyed, plain, plain_olds = [], [], [], []
    if state_known:  # (state values are ints or None: a Counter of them counts them apart)
        for value, count in Counter(s.state for s in found.values()).items():
            label = labels.get(value) if value is not None else None
            states[label or ("unknown" if value is None else str(value))] += count
    value = label = None
    get_serial = serials.get if serials is not None else None
    for position, sighting in found.items():
        old = existing.get(position)
        d = sighting.decoded
        if old is None:
            (new if d.key is None else new_keyed).append(position)
            continue
        if state_known:
            value = sighting.state
            label = labels.get(value) if value is not None else None
        if (
            old.present
            and old.raw_index == sighting.raw_index
            and type(old.raw_index) is type(sighting.raw_index)
            and (d.key is not None or (old.frame, old.slot, old.port, old.onu_id) == _pon(d))
            and (
                not state_known
                or (
                    old.state_value == value
                    and type(old.state_value) is type(value)
                    and old.state_label == label
                    and type(old.state_label) is type(label)
                )
            )
            and (get_serial is None or _same(get_serial(position), old.serial))
            and not (keeps and any(_kept(v.get(position), getattr(old, c)) for v, c in keeps))
        ):
            plain.append(position)
            plain_olds.append(old)
            continue
        row = _sighting(obs, position, sighting, old, attributes, (value, label), execution_id)
        report.reappeared += 0 if old.present else 1
        updates.append(row)
    for positions in (new, new_keyed):
        if positions:
            inserts.append(_new_columns(obs, positions, attributes, labels))
            report.new += len(positions)
    if plain:
        keys, columns = attributes.columns(plain, plain_olds, "" if serials is None else "serial")
        columns.append([old.id for old in plain_olds])
        updates.append(onu_writes.Columns((*keys, "id"), columns))
    return inserts, updates


def _kept(new: object, old: object) -> bool:
    """Whether _Attributes.fields keeps the old value of a keep-previous attribute."""
    return new in (None, "") and old not in (None, "")


def _new_columns(obs, positions: list[str], attributes, labels) -> onu_writes.Columns:
    """_sighting's rows of new ONUs, column by column."""
    found = obs.found
    sightings = [found[p] for p in positions]
    keys, columns = ["raw_index"], [[s.raw_index for s in sightings]]
    decoded = [s.decoded for s in sightings]
    if decoded[0].key is None:  # (the caller parts keyed ONUs from the others)
        keys += ["frame", "slot", "port", "onu_id"]
        columns += [[getattr(d, k) for d in decoded] for k in ("frame", "slot", "port", "onu_id")]
    if obs.state_known:
        values = [s.state for s in sightings]
        keys += ["state_value", "state_label"]
        columns += [values, [labels.get(v) if v is not None else None for v in values]]
    more, collected = attributes.columns(positions, None)
    for key, values in zip(more, collected, strict=True):
        if key in keys:  # "port" of a pon_port attribute: the attribute's value wins
            columns[keys.index(key)] = values
        else:
            keys.append(key)
            columns.append(values)
    return onu_writes.Columns((*keys, "position"), [*columns, positions])


def _sighting(obs, position, sighting, old, attributes, state, execution_id) -> dict:
    """The row to update of a known ONU that _sightings does not write column by column."""
    d, (value, label) = sighting.decoded, state
    # what the index says is written where it changed (a known ONU seen by its usual
    # table: never), as the indexed columns below
    fields = {}
    if not _same(old.raw_index, sighting.raw_index):
        fields["raw_index"] = sighting.raw_index
    if d.key is None and (  # a position; tables indexed by serial say the PON in a column
        (old.frame, old.slot, old.port, old.onu_id) != _pon(d)
    ):
        fields.update(frame=d.frame, slot=d.slot, port=d.port, onu_id=d.onu_id)
    if obs.state_known:
        fields["state_value"], fields["state_label"] = value, label
    fields.update(attributes.fields(position, old))
    # Indexed columns are set only where they change: an UPDATE that sets one rewrites
    # its index entries even with the same value (on SQLite, 40% of the ONUs' UPDATE).
    if obs.state_known and _same(old.state_value, value) and _same(old.state_label, label):
        del fields["state_value"], fields["state_label"]
    if "serial" in fields and _same(fields["serial"], old.serial):
        del fields["serial"]
    if not old.present:
        fields["present"] = True
    if not old.present or (obs.state_known and old.state_value != sighting.state):
        fields["last_change_execution_id"] = execution_id
    fields["id"] = old.id
    return fields


def _pon(d: DecodedIndex) -> tuple:
    return (d.frame, d.slot, d.port, d.onu_id)


def _same(old: object, new: object) -> bool:
    """Whether writing ``new`` over ``old`` would store the same value."""
    return old == new and type(old) is type(new)


def _collect_only(obs, existing, attributes, report) -> list[dict]:
    """A get job: values for the present ONUs it knows; rows of unknown positions are counted."""
    present = {p: r for p, r in existing.items() if r.present}
    report.targets = len(present)
    seen = set()
    for values in obs.values.values():
        seen.update(values)
    report.unknown_rows = len(seen - set(existing))
    updates = []
    for position, old in present.items():
        if position not in seen:
            report.no_row += 1  # the walk had no row for it: nothing to say, nothing changed
            continue
        fields = attributes.fields(position, old)
        if fields:
            fields["id"] = old.id
            updates.append(fields)
    return updates


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
