"""Alarms with a lifecycle: pending -> active (raised) -> acknowledged -> cleared.

Evaluated by the store step in its transaction (``evaluate_poll``), by the runner when an OLT
stops answering (``olt_answered``), and by the scheduler's tick for time-based raises
(``raise_due``). Hysteresis: an rx alarm clears only HYSTERESIS_DB above its threshold, and a
condition that comes back within FLAP_WINDOW reopens the alarm it cleared (one alarm for a
flapping ONU, with a flap count) instead of raising a new one. A PON outage (at least
``pon_outage_min`` ONUs and half the PON's online ONUs down in one poll) is one alarm, its
probable cause from what the ONUs reported (LOS: fiber cut; dying gasp: power outage),
grouping the ONUs' offline alarms under it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from history.events import Thresholds
from webapp.models.history import Alarm, AlarmRule, Notification

HYSTERESIS_DB = 1.0
FLAP_WINDOW = timedelta(minutes=30)
PENDING, ACTIVE, CLEARED = "pending", "active", "cleared"
OPEN = (PENDING, ACTIVE)
RX, OFFLINE, PON_OUTAGE, OLT_DOWN = "rx", "onu_offline", "pon_outage", "olt_unreachable"
KINDS = (RX, OFFLINE, PON_OUTAGE, OLT_DOWN)
LOS_WORDS = ("los", "fiber", "lofi", "loss")
POWER_WORDS = ("dying", "gasp", "power")


@dataclass(frozen=True)
class Rules:
    """What raises an alarm on one OLT (defaults, then its profile's rule, then its own)."""

    rx_warning: float = -27.0
    rx_critical: float = -30.0
    rx_overload: float = -8.0
    # the ONU's own laser: ITU-T G.984.2 class B+ and C+ ONUs launch +0.5 to +5 dBm. Shown in
    # colour outside this range; no alarm is raised on tx (yet).
    tx_low: float = 0.5
    tx_high: float = 5.0
    offline_minutes: int = 10
    olt_failed_polls: int = 3
    pon_outage_min: int = 4
    emails: tuple[str, ...] = ()
    webhook_url: str = ""

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.rx_warning, self.rx_critical, self.rx_overload)


OVERRIDABLE = (
    "rx_warning",
    "rx_critical",
    "rx_overload",
    "tx_low",
    "tx_high",
    "offline_minutes",
    "olt_failed_polls",
    "pon_outage_min",
)


def rules_for(session: Session, olt_id: int, profile_key: str | None, base: Rules) -> Rules:
    """The rules in effect on an OLT: base, its profile's AlarmRule, its own AlarmRule."""
    rows = session.scalars(
        select(AlarmRule).where(
            (AlarmRule.olt_id == olt_id)
            | ((AlarmRule.profile_key == profile_key) & AlarmRule.olt_id.is_(None))
        )
    ).all()
    rules = base
    for row in sorted(rows, key=lambda r: r.olt_id is not None):  # the OLT's own last
        changes = {k: getattr(row, k) for k in OVERRIDABLE if getattr(row, k) is not None}
        if row.emails:
            changes["emails"] = tuple(e.strip() for e in row.emails.split(",") if e.strip())
        if row.webhook_url:
            changes["webhook_url"] = row.webhook_url
        rules = replace(rules, **changes)
    return rules


@dataclass
class Reading:
    """What one poll says about one ONU, for the alarms."""

    position: str
    pon: str | None
    rx: float | None = None  # None: no reading (or not read)
    rx_read: bool = False
    online: bool | None = None  # None: state unknown
    cause: str | None = None  # the state label or last down cause of an ONU that went offline


@dataclass
class Outcome:
    """What the evaluation did, for the execution's summary."""

    raised: Counter = field(default_factory=Counter)
    cleared: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {k: dict(v) for k, v in (("raised", self.raised), ("cleared", self.cleared)) if v}


def _rx_severity(rx: float, rules: Rules) -> str | None:
    level = rules.thresholds.level(rx)
    return {"critical": "critical", "low": "warning", "overload": "warning"}.get(level)


def _rx_recovered(rx: float, alarm: Alarm, rules: Rules) -> bool:
    """Back inside the normal band by the hysteresis margin."""
    if alarm.detail.get("level") == "overload":
        return rx <= rules.rx_overload - HYSTERESIS_DB
    return rules.rx_warning + HYSTERESIS_DB <= rx <= rules.rx_overload


def _open(session: Session, olt_id: int, kinds: tuple[str, ...]) -> dict[tuple, Alarm]:
    rows = session.scalars(
        select(Alarm).where(Alarm.olt_id == olt_id, Alarm.kind.in_(kinds), Alarm.status.in_(OPEN))
    )
    return {(a.kind, a.onu_id, a.pon if a.kind == PON_OUTAGE else None): a for a in rows}


def watched_onus(session: Session, olt_id: int) -> set[int]:
    """The ONUs of the OLT with an open rx or offline alarm (what a poll may clear)."""
    return set(
        session.scalars(
            select(Alarm.onu_id).where(
                Alarm.olt_id == olt_id,
                Alarm.kind.in_((RX, OFFLINE)),
                Alarm.status.in_(OPEN),
                Alarm.onu_id.is_not(None),
            )
        )
    )


def _recent(session: Session, olt_id: int, kind: str, onu_id: int | None, now) -> Alarm | None:
    """A cleared alarm of the same condition within the flap window (to reopen)."""
    return session.scalars(
        select(Alarm)
        .where(
            Alarm.olt_id == olt_id,
            Alarm.kind == kind,
            Alarm.onu_id.is_(None) if onu_id is None else Alarm.onu_id == onu_id,
            Alarm.status == CLEARED,
            Alarm.cleared_at >= now - FLAP_WINDOW,
        )
        .order_by(Alarm.cleared_at.desc())
        .limit(1)
    ).first()


def _recently_cleared(session: Session, olt_id: int, kinds: tuple[str, ...], now) -> dict:
    """What _recent would find, for every (kind, ONU) at once: one query per poll rather than
    one per raised alarm (a new OLT's first poll raises hundreds)."""
    rows = session.scalars(
        select(Alarm)
        .where(
            Alarm.olt_id == olt_id,
            Alarm.kind.in_(kinds),
            Alarm.status == CLEARED,
            Alarm.cleared_at >= now - FLAP_WINDOW,
        )
        .order_by(Alarm.cleared_at, Alarm.id)
    )
    out: dict[tuple, list[Alarm]] = {}
    for alarm in rows:
        out.setdefault((alarm.kind, alarm.onu_id), []).append(alarm)  # the latest last
    return out


def _start(
    session, olt_id, kind, onu_id, reading: Reading | None, severity, status, now, detail, recent
):
    """A new alarm, or the one a flapping condition cleared a moment ago, reopened.

    ``recent``: _recently_cleared's alarms (a reopened one is taken out), or None to query."""
    if recent is None:
        alarm = _recent(session, olt_id, kind, onu_id, now)
    else:
        latest = recent.get((kind, onu_id))
        alarm = latest.pop() if latest else None
    if alarm is not None:
        alarm.flaps += 1
        alarm.cleared_at = None
        if alarm.raised_at is None and status == ACTIVE:
            alarm.raised_at = now
        alarm.status = ACTIVE if alarm.raised_at is not None else status
        alarm.position = reading.position if reading else None
        alarm.pon = reading.pon if reading else None
        alarm.severity = severity
        alarm.detail = detail
        alarm.changed_at = now
    else:
        alarm = Alarm(**_new_alarm(olt_id, kind, onu_id, reading, severity, status, now, detail))
        session.add(alarm)
    return alarm


def _clear(alarm: Alarm, now: datetime, why: str) -> None:
    alarm.status = CLEARED
    alarm.cleared_at = now
    alarm.changed_at = now
    alarm.detail = {**(alarm.detail or {}), "cleared": why}


def _rx(session, olt_id, readings, rules, now, out: Outcome, open_: dict, recent) -> None:
    fresh: list[dict] = []  # alarms with nothing to reopen: inserted together below
    for onu_id, r in readings.items():
        if not r.rx_read:
            continue
        alarm = open_.get((RX, onu_id, None))
        severity = _rx_severity(r.rx, rules) if r.rx is not None else None
        if severity is not None:
            level = rules.thresholds.level(r.rx)
            detail = {"rx_dbm": r.rx, "level": level}
            if alarm is None and recent is not None and not recent.get((RX, onu_id)):
                fresh.append(_new_alarm(olt_id, RX, onu_id, r, severity, ACTIVE, now, detail))
                out.raised[RX] += 1
                continue
            if alarm is None:
                alarm = _start(
                    session, olt_id, RX, onu_id, r, severity, ACTIVE, now, detail, recent
                )
                out.raised[RX] += 1
            elif alarm.severity != severity or alarm.detail.get("level") != level:
                alarm.severity, alarm.detail, alarm.changed_at = severity, detail, now
            open_[(RX, onu_id, None)] = alarm
        elif alarm is not None and r.rx is not None and _rx_recovered(r.rx, alarm, rules):
            _clear(alarm, now, f"rx {r.rx} dBm")
            out.cleared[RX] += 1
    if fresh:
        # one multi-row INSERT … RETURNING (ORM bulk insert): a new OLT's first poll, or a
        # PON whose levels all drop, raises hundreds, and the unit of work's flush of as
        # many objects was most of such a store's alarm time (bench/store.py, "new")
        inserted = insert(Alarm).returning(Alarm, sort_by_parameter_order=True)
        for alarm in session.scalars(inserted, fresh):
            open_[(RX, alarm.onu_id, None)] = alarm


def _new_alarm(olt_id, kind, onu_id, reading: Reading | None, severity, status, now, detail):
    """The columns of the alarm _start makes when there is nothing to reopen."""
    return {
        "olt_id": olt_id,
        "onu_id": onu_id,
        "kind": kind,
        "since": now,
        "raised_at": now if status == ACTIVE else None,
        "status": status,
        "flaps": 0,
        "position": reading.position if reading else None,
        "pon": reading.pon if reading else None,
        "severity": severity,
        "detail": detail,
        "changed_at": now,
    }


def _probable_cause(causes: list[str | None]) -> str:
    def count(words):
        return sum(1 for c in causes if c and any(w in c.lower() for w in words))

    los, power = count(LOS_WORDS), count(POWER_WORDS)
    if power > len(causes) / 2:
        return "power outage"
    if los > len(causes) / 2:
        return "fiber cut"
    return "unknown"


def evaluate_poll(
    session: Session,
    olt_id: int,
    now: datetime,
    rules: Rules,
    readings: dict[int, Reading],
    went_offline: list[int],
    online_before: Counter,
    gone: list[int],
) -> Outcome:
    """Raise, update and clear the ONU and PON alarms of one OLT after one poll."""
    out = Outcome()
    open_ = _open(session, olt_id, (RX, OFFLINE, PON_OUTAGE))
    recent = _recently_cleared(session, olt_id, (RX, OFFLINE, PON_OUTAGE), now)
    _rx(session, olt_id, readings, rules, now, out, open_, recent)
    offline = {}
    for onu_id in went_offline:
        r = readings[onu_id]
        if (OFFLINE, onu_id, None) not in open_:
            detail = {"cause": r.cause} if r.cause else {}
            alarm = _start(
                session, olt_id, OFFLINE, onu_id, r, "major", PENDING, now, detail, recent
            )
            open_[(OFFLINE, onu_id, None)] = offline[onu_id] = alarm
    for onu_id, r in readings.items():
        alarm = open_.get((OFFLINE, onu_id, None))
        if alarm is not None and r.online:
            _clear(alarm, now, "back online")
            out.cleared[OFFLINE] += 1
    for onu_id in gone:
        for kind in (OFFLINE, RX):
            alarm = open_.get((kind, onu_id, None))
            if alarm is not None and alarm.status != CLEARED:
                _clear(alarm, now, "ONU no longer on the OLT")
                out.cleared[kind] += 1
    _outages(session, olt_id, now, rules, readings, offline, online_before, out, open_, recent)
    session.flush()
    due = _raise_due(session, now, olt_id, rules.offline_minutes)
    if due:
        out.raised[OFFLINE] += due
    return out


def _outages(session, olt_id, now, rules, readings, offline, online_before, out, open_, recent):
    """One PON outage alarm per PON that lost most of its ONUs in this poll."""
    by_pon: dict[str, list[int]] = {}
    for onu_id in offline:
        pon = readings[onu_id].pon
        if pon is not None:
            by_pon.setdefault(pon, []).append(onu_id)
    for pon, ids in by_pon.items():
        before = online_before.get(pon, 0)
        if len(ids) < rules.pon_outage_min or len(ids) < 0.5 * before:
            continue
        cause = _probable_cause([readings[i].cause for i in ids])
        detail = {"onus_down": len(ids), "onus_online_before": before, "probable_cause": cause}
        reading = Reading(position=pon, pon=pon)
        outage = open_.get((PON_OUTAGE, None, pon))
        if outage is None:
            outage = _start(
                session, olt_id, PON_OUTAGE, None, reading, "critical", ACTIVE, now, detail, recent
            )
            outage.pon = pon
            out.raised[PON_OUTAGE] += 1
        session.flush()
        for i in ids:  # grouped: raised with the outage, notified through it only
            child = offline[i]
            child.parent_id = outage.id
            child.status, child.raised_at = ACTIVE, child.raised_at or now
    for (kind, _onu, _pon), outage in list(open_.items()):
        if kind != PON_OUTAGE or outage.status == CLEARED:
            continue
        down = session.scalars(
            select(Alarm.id).where(Alarm.parent_id == outage.id, Alarm.status.in_(OPEN))
        ).all()
        if len(down) < rules.pon_outage_min:
            _clear(outage, now, f"{len(down)} ONUs still down")
            out.cleared[PON_OUTAGE] += 1


def _raise_due(session: Session, now: datetime, olt_id: int | None, minutes: int) -> int:
    """Pending offline alarms whose ONU has been offline long enough become active."""
    query = select(Alarm).where(
        Alarm.status == PENDING,
        Alarm.kind == OFFLINE,
        Alarm.since <= now - timedelta(minutes=minutes),
    )
    if olt_id is not None:
        query = query.where(Alarm.olt_id == olt_id)
    raised = 0
    for alarm in session.scalars(query):
        alarm.status, alarm.raised_at, alarm.changed_at = ACTIVE, now, now
        raised += 1
    return raised


def raise_due(session: Session, now: datetime, minutes_of) -> int:
    """The tick's part: raise every pending alarm that is due (minutes_of(olt_id) -> minutes)."""
    raised = 0
    olts = session.scalars(select(Alarm.olt_id).where(Alarm.status == PENDING).distinct()).all()
    for olt_id in olts:
        raised += _raise_due(session, now, olt_id, minutes_of(olt_id))
    return raised


def olt_answered(
    session: Session, olt_id: int, ok: bool, failures: int, error, now, rules
) -> str | None:  # noqa: E501
    """The OLT alarm after a poll: raised after olt_failed_polls failures, cleared by a success."""
    alarm = _open(session, olt_id, (OLT_DOWN,)).get((OLT_DOWN, None, None))
    if ok:
        if alarm is not None:
            _clear(alarm, now, "the OLT answered")
            return "cleared"
        return None
    if alarm is None and failures >= rules.olt_failed_polls:
        detail = {"failed_polls": failures, "error": (error or "")[:300]}
        _start(session, olt_id, OLT_DOWN, None, None, "critical", ACTIVE, now, detail, None)
        return "raised"
    if alarm is not None:
        alarm.detail = {**alarm.detail, "failed_polls": failures}
    return None


def acknowledge(session: Session, ids: list[int], user_id: int | None, now: datetime) -> int:
    """Acknowledge open alarms (who and when); return how many were not already."""
    done = 0
    for alarm in session.scalars(select(Alarm).where(Alarm.id.in_(ids))):
        if alarm.acknowledged_at is None and alarm.status != CLEARED:
            alarm.acknowledged_at, alarm.acknowledged_by_id = now, user_id
            done += 1
    return done


def queue_notifications(session: Session, olt_id: int, now: datetime, rules: Rules) -> int:
    """A notification per recipient for each alarm raised and not yet notified.

    Alarms grouped under a PON outage are told through it: one message per outage, not one
    per ONU. Delivery is the RQ job's (jobs/notify.py), after the transaction commits.
    """
    fresh = session.scalars(
        select(Alarm).where(
            Alarm.olt_id == olt_id,
            Alarm.status == ACTIVE,
            Alarm.notified_at.is_(None),
            Alarm.parent_id.is_(None),
        )
    ).all()
    targets = [("email", e) for e in rules.emails]
    if rules.webhook_url:
        targets.append(("webhook", rules.webhook_url))
    for alarm in fresh:
        alarm.notified_at = now
        for channel, target in targets:
            session.add(
                Notification(
                    alarm_id=alarm.id, channel=channel, target=target, status="pending",
                    attempts=0, created_at=now,
                )
            )  # fmt: skip
    return len(fresh) * len(targets)
