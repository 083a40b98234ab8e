"""What the store step hands to history: a sample per ONU and the events it saw.

Runs inside the store's transaction (inventory.store), so that the inventory, its samples
and its events commit or roll back together.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from history import alarms, codec
from history import events as ev
from history import samples as history_samples
from webapp.extensions import db
from webapp.models import Brand, Olt, OltModel
from webapp.models.base import utcnow

if TYPE_CHECKING:
    from jobs.inventory import Observation, StoreReport

SAMPLED = ("rx_power", "tx_power", "distance")  # with the state: what history keeps per poll


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def sample_of(values: dict[str, object], state: int | None) -> history_samples.Sample:
    """One ONU's sample from the values a walk gave (anything not a number is no value)."""
    distance = _number(values.get("distance"))
    return (
        _number(values.get("rx_power")),
        _number(values.get("tx_power")),
        state,
        None if distance is None else round(distance),
    )


def after_store(
    olt_id: int,
    execution_id: int,
    obs: Observation,
    existing: dict,
    new_ids: dict[str, int],
    gone: list[str],
    labels: dict[int, str],
    now: datetime,
    report: StoreReport,
) -> None:
    """Append the samples and record the events of one store (``new_ids``: the ONUs it
    inserted, by position)."""
    ids = {p: r.id for p, r in existing.items()}
    ids.update(new_ids)
    report.samples = _samples(olt_id, execution_id, obs, existing, ids, now)
    rules = run_rules(olt_id)
    found = _events(obs, existing, ids, gone, labels, rules.thresholds)
    ev.record(db.session, olt_id, execution_id, now, found)
    for _onu, _pos, _pon, kind, _detail in found:
        report.events[kind] += 1
    outcome = _alarms(olt_id, obs, existing, ids, found, gone, rules, now)
    report.alarms = outcome.as_dict()


def base_rules() -> alarms.Rules:
    """The alarm rules of the configuration (before profile and OLT rules)."""
    cfg = current_app.config
    return alarms.Rules(
        rx_warning=cfg["ALARM_RX_WARNING"],
        rx_critical=cfg["ALARM_RX_CRITICAL"],
        rx_overload=cfg["ALARM_RX_OVERLOAD"],
        tx_low=cfg["ALARM_TX_LOW"],
        tx_high=cfg["ALARM_TX_HIGH"],
        offline_minutes=cfg["ALARM_OFFLINE_MINUTES"],
        olt_failed_polls=cfg["ALARM_OLT_FAILED_POLLS"],
        pon_outage_min=cfg["PON_OUTAGE_MIN"],
        emails=tuple(cfg["ALARM_EMAILS"]),
        webhook_url=cfg["ALARM_WEBHOOK_URL"] or "",
    )


def olt_rules(olt_id: int) -> alarms.Rules:
    """The alarm rules in effect on an OLT (its profile key, as Olt.profile_key gives it, read
    in one SELECT rather than by loading the OLT, its model and its brand)."""
    row = db.session.execute(
        select(OltModel.profile_key, Brand.profile_key)
        .select_from(Olt)
        .outerjoin(OltModel, Olt.model_id == OltModel.id)
        .outerjoin(Brand, Olt.brand_id == Brand.id)
        .where(Olt.id == olt_id)
    ).first()
    profile = (row[0] or row[1]) if row is not None else None
    return alarms.rules_for(db.session, olt_id, profile, base_rules())


_RUN_RULES = "oltwatch.run_rules"  # Session.info: (transaction, OLT id, rules read in it)


def run_rules(olt_id: int) -> alarms.Rules:
    """olt_rules, read once per transaction: a run's store and its end (olt_polled) commit
    together and change no rule, so the second would read what the first did."""
    session = db.session()
    cached = session.info.get(_RUN_RULES)
    if cached is not None and cached[0] is session.get_transaction() and cached[1] == olt_id:
        return cached[2]
    rules = olt_rules(olt_id)
    session.info[_RUN_RULES] = (session.get_transaction(), olt_id, rules)
    return rules


def _alarms(olt_id, obs, existing, ids, found, gone, rules, now) -> alarms.Outcome:
    """Evaluate the OLT's ONU and PON alarms on what this store saw; queue notifications.

    Only the ONUs an evaluation can act on get a reading: those that went offline, those
    with an open alarm, and those whose rx is outside the normal band (alarms.evaluate_poll
    does nothing with any other)."""
    causes = {}
    went_offline = []
    for onu_id, _pos, _pon, kind, detail in found:
        if kind == "offline" and onu_id is not None:
            went_offline.append(onu_id)
            causes[onu_id] = detail.get("cause") or str(detail.get("state") or "")
    wanted = alarms.watched_onus(db.session, olt_id).union(went_offline)
    chosen = set(_rx_outside(obs, ids, rules))
    if wanted:
        chosen.update(p for p, onu_id in ids.items() if onu_id in wanted)
    positions = [p for p in ids if p in chosen] if chosen else []  # in the order of ids
    readings = {}
    for position in positions:
        onu_id = ids[position]
        row = existing.get(position)
        sighting = obs.found.get(position) if obs.found is not None else None
        if sighting is None and (obs.found is not None or row is None or not row.present):
            continue
        where = sighting.decoded if sighting is not None else row
        rx = _rx(obs, position)
        online = None
        if sighting is not None and obs.state_known and obs.online:
            online = sighting.state in obs.online
        readings[onu_id] = alarms.Reading(
            position=position,
            pon=ev.pon_of(where.frame, where.slot, where.port),
            rx=None if rx is ev.MISSING else rx,
            rx_read=rx is not ev.MISSING,
            online=online,
            cause=causes.get(onu_id),
        )
    online_before = Counter()  # read only for the PONs of ONUs that went offline
    if went_offline and obs.online:
        online_before = Counter(
            ev.pon_of(r.frame, r.slot, r.port)
            for r in existing.values()
            if r.present and r.state_value in obs.online
        )
    gone_ids = [existing[p].id for p in gone]
    outcome = alarms.evaluate_poll(
        db.session, olt_id, now, rules, readings, went_offline, online_before, gone_ids
    )
    alarms.queue_notifications(db.session, olt_id, now, rules)
    session = db.session()
    session.info[_QUEUED] = (session.get_transaction(), olt_id)
    return outcome


_QUEUED = "oltwatch.notifications_queued"  # Session.info: (transaction, OLT id) queued in it


def _queued_here(olt_id: int) -> bool:
    """Whether this transaction already queued the OLT's notifications (its store did)."""
    session = db.session()
    queued = session.info.get(_QUEUED)
    return queued is not None and queued == (session.get_transaction(), olt_id)


def _rx_outside(obs: Observation, ids: dict, rules: alarms.Rules) -> list[str]:
    """Positions whose rx reading would raise or change an rx alarm (outside the normal band,
    or not a plain number: the evaluation decides)."""
    values = obs.values.get("rx_power")
    if not values:
        return []
    low, high = max(rules.rx_warning, rules.rx_critical), rules.rx_overload  # Thresholds.level
    return [
        p
        for p, rx in values.items()
        if rx is not None and not (type(rx) is float and low <= rx <= high) and p in ids
    ]


def _samples(olt_id, execution_id, obs: Observation, existing, ids, now) -> int:
    """One sample per ONU this walk read rx, tx, distance or state of."""
    metrics = [a for a in SAMPLED if a in obs.values]
    if not metrics and not obs.state_known:
        return 0
    if obs.found is not None:
        positions = set(obs.found)
    else:
        present = {p for p, r in existing.items() if r.present}
        positions = {p for a in metrics for p in obs.values[a]} & present
    # sample_of and codec.centi, a column at a time: each distinct rx, tx and distance is
    # converted once (most repeat across an OLT's ONUs)
    rx, tx, distance = (obs.values.get(a, {}) if a in metrics else {} for a in SAMPLED)
    sightings = obs.found if obs.state_known and obs.found else None
    positions = [p for p in positions if p in ids] if not ids.keys() >= positions else positions
    positions = list(positions)
    if not positions:
        return 0
    onu_ids = list(map(ids.__getitem__, positions))
    if sightings is not None:
        states = [sightings[p].state for p in positions]
    else:
        states = [None] * len(positions)
    records = dict(
        zip(
            onu_ids,
            zip(
                _converted(map(rx.get, positions), _centi_of),
                _converted(map(tx.get, positions), _centi_of),
                states,
                _converted(map(distance.get, positions), _metres),
                strict=True,
            ),
            strict=True,
        )
    )
    return history_samples.append_records(db.session, olt_id, execution_id, now, records)


def _centi_of(r: object) -> int | None:
    return round(r * 100) if type(r) is float and -327.67 <= r <= 327.67 else _centi(r)


def _metres(d: object) -> int | None:
    if type(d) is int and -_EXACT < d < _EXACT:  # round(float(d)) == d there
        return d
    d = _number(d)
    return None if d is None else round(d)


class _Memo(dict):
    """convert(value) by value: each distinct value converted once."""

    def __init__(self, convert) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value):
        out = self[value] = self.convert(value)
        return out


def _converted(values, convert) -> list:
    """convert() of each value; through a _Memo where the values are all floats, or all
    ints, and None (values of other types may equal them: True == 1 == 1.0)."""
    values = list(values)
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) > 1 or not kinds <= {float, int}:
        return list(map(convert, values))
    return list(map(_Memo(convert).__getitem__, values))


_EXACT = 2**53  # ints a float holds exactly


def _centi(value: object) -> int | None:
    return codec.centi(_number(value))


def _value(obs: Observation, attribute: str, position: str) -> object:
    values = obs.values.get(attribute)
    return ev.MISSING if values is None else values.get(position)


def _rx(obs: Observation, position: str) -> object:
    if "rx_power" not in obs.values:
        return ev.MISSING
    return _number(obs.values["rx_power"].get(position))


def _events(
    obs: Observation, existing: dict, ids: dict, gone: list[str], labels, thresholds
) -> list:
    """(onu id, position, pon, kind, detail) of every change this store saw.

    No "appeared" events on an OLT's first inventory (a new OLT's 4,096 ONUs are not news).
    ONUs that _quiet finds unchanged skip detect: most ONUs of a poll change nothing.
    """
    out = []
    old_at = {}
    if "serial" in obs.values:
        old_at = {r.serial: p for p, r in existing.items() if r.serial}
    if obs.found is not None:
        targets = {p: s.decoded for p, s in obs.found.items()}
    else:  # a get job: what it read of the present ONUs it knows
        targets = {p: None for p, r in existing.items() if r.present}
    quiet = _Quiet(obs, old_at, thresholds)
    for position, decoded in targets.items():
        old = existing.get(position)
        if old is not None and quiet(position, old):
            continue
        where = decoded or old
        pon = ev.pon_of(where.frame, where.slot, where.port) if where is not None else None
        changes = []
        if old is None:
            if existing:
                changes.append(("appeared", {}))
        else:
            sighting = obs.found.get(position) if obs.found is not None else None
            state = sighting.state if sighting is not None and obs.state_known else ev.MISSING
            seen = ev.Seen(
                state=state,
                state_label=labels.get(state) if state is not ev.MISSING else None,
                serial=_value(obs, "serial", position),
                rx=_number(_value(obs, "rx_power", position))
                if "rx_power" in obs.values
                else ev.MISSING,
                cause=_value(obs, "last_down_cause", position),
            )
            changes = ev.detect(old._mapping, seen, obs.online, thresholds)
        serial = _value(obs, "serial", position)
        came_from = old_at.get(serial) if serial not in (ev.MISSING, None, "") else None
        if came_from is not None and came_from != position:
            changes = [c for c in changes if c[0] != "swapped"]
            changes.append(("moved", {"from": came_from, "serial": serial}))
        out += [(ids.get(position), position, pon, k, d) for k, d in changes]
    for position in gone:
        row = existing[position]
        out.append((row.id, position, ev.pon_of(row.frame, row.slot, row.port), "absent", {}))
    return out


class _Quiet:
    """Whether a known ONU has no event in this store, by the same tests as ev.detect and the
    move check of _events, on the bare values: True only where both would find nothing
    (False: let them look)."""

    def __init__(self, obs: Observation, old_at: dict, thresholds) -> None:
        found = obs.found
        self.states = found if found is not None and obs.state_known and obs.online else None
        self.serials = obs.values.get("serial")
        self.rx = obs.values.get("rx_power")
        self.old_at = old_at
        self.level = thresholds.level

    def __call__(self, position: str, old) -> bool:
        if not old.present:
            return False  # reappeared
        if self.states is not None:
            sighting = self.states.get(position)
            if sighting is not None and sighting.state != old.state_value:
                return False
        if self.serials is not None:
            serial = self.serials.get(position)
            if serial is not None and serial != "":
                if old.serial and serial != old.serial:
                    return False  # swapped
                if self.old_at.get(serial, position) != position:
                    return False  # moved
        if self.rx is not None:
            rx = self.rx.get(position)
            before = old.rx_power_dbm
            if rx != before:  # equal: the same level (or no reading)
                rx = _number(rx)
                if rx is not None:
                    level = self.level(before)
                    if level is not None and self.level(rx) != level:
                        return False
        return True


def _did_not_answer(code: str | None, error: str) -> bool:
    """Whether a failed run's error says the OLT did not answer: by its message code (a
    lost lock's "Redis unreachable" is not the OLT's), by its words for a plain text."""
    from jobs.errors import NO_ANSWER_CODES

    if code is not None:
        return code in NO_ANSWER_CODES
    return any(w in error for w in ("did not answer", "unreachable"))


def olt_polled(ex, ok: bool) -> None:
    """The OLT alarm after a run of an enumerating job: raised after enough failed polls in
    which the OLT did not answer, cleared by a successful one (in the run's transaction)."""
    from jobs.types import ENUMERATING

    if ex.job_type not in ENUMERATING or ex.olt_id is None:
        return
    error = ex.error or ""
    if not ok and not _did_not_answer(ex.error_code, error):
        return  # a failure of another kind (an unsupported table…) says the OLT answered
    rules = run_rules(ex.olt_id)
    failures = ex.job_host.consecutive_failures or 0
    now = ex.finished_at or utcnow()
    answered = alarms.olt_answered(db.session, ex.olt_id, ok, failures, error, now, rules)
    # Only an OLT alarm raised now is new since the store queued the OLT's notifications in
    # this transaction (a cleared or unchanged one needs none): else there is nothing to queue.
    if answered == "raised" or not _queued_here(ex.olt_id):
        alarms.queue_notifications(db.session, ex.olt_id, now, rules)
