"""The poll job: find the OLT's ONUs and collect every attribute it supports, in one execution.

1. Probe: one GETNEXT per candidate column of the OLT's profile (batched) says which tables the
   OLT has; a column whose first index does not decode with its own formula does not count.
2. Choose: per attribute the first candidate that answered (plus the next one where the first
   is set only on some ONUs, as IF-MIB ifAlias); the ONUs are enumerated by the first answering
   table that lists every ONU, state columns first.
3. Walk the chosen columns together (PON by PON where the profile asks), decode each row with
   its own column's formula, and store one ONU per position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobs import inventory
from jobs.columns import Resolved, label_overrides, olt_columns
from jobs.context import RunContext
from jobs.errors import JobError
from jobs.types import _rows
from jobs.types.base import JobType
from snmp.client import bulk_stats, first_rows_sync, index_of
from snmp.errors import SnmpNoSuchOid
from snmp.indexes import NotAnOnu, decode_index
from snmp.profiles.base import EXPECTED_ATTRIBUTES
from webapp.models.base import utcnow


@dataclass(frozen=True)
class Plan:
    """The profile's candidate columns as they apply to this OLT."""

    profile: str
    columns: tuple[Resolved, ...]
    walk_per_pon: bool


@dataclass
class Walked:
    """What the OLT answered."""

    presence: Resolved
    chosen: dict[str, list[Resolved]]
    rows: dict[str, list]
    names: _rows.Names
    probe: dict[str, str]
    failures: dict[str, str] = field(default_factory=dict)
    walk: str = "whole columns"
    cache: dict = field(default_factory=dict)  # index decodings shared by the columns
    repetitions: dict = field(default_factory=dict)  # GETBULK max-repetitions used (issue 11)


class PollType(JobType):
    """Find the ONUs and collect every supported attribute."""

    name = "poll"

    def check(self, oid) -> str | None:
        if oid is not None:  # its profile says what to walk: an OID would be ignored
            return "a poll job walks its OLT's profile and takes no OID (leave it empty)"
        return None

    def plan(self, ex, ctx: RunContext) -> Plan:
        profile = ctx.scope.profile
        return Plan(profile.key, tuple(olt_columns(ctx.scope)), profile.walk_per_pon)

    def poll(self, ctx: RunContext, plan: Plan) -> Walked:
        first = first_rows_sync(ctx.target, [c.oid for c in plan.columns])
        answered = [c for c in plan.columns if first.get(c.oid) is not None]
        needs_names = plan.walk_per_pon or any(c.formula.mode == "ifname" for c in answered)
        names = _rows.if_names(ctx.target) if needs_names else {}
        probe = {c.oid: "no rows" for c in plan.columns}
        usable = []
        for c in answered:
            problem = _unusable(c, first[c.oid], names)
            probe[c.oid] = problem or "answered"
            if problem is None:
                usable.append(c)
        presence = _presence(usable)
        if presence is None:
            tried = len(plan.columns)
            raise SnmpNoSuchOid(
                f"none of the {tried} ONU tables of profile {plan.profile} answered with ONUs "
                "(the OLT has no ONUs, or is not of this profile: run 'test and detect')"
            )
        chosen = _choose(usable)
        walked = _unique([presence, *(c for cols in chosen.values() for c in cols)])
        ports = _rows.pon_ports(names) if plan.walk_per_pon else []
        with bulk_stats() as bulk:
            rows, failures = _rows.walk(
                ctx.target, walked, ports, required=presence.oid, between=ctx.check
            )
        walk = f"per PON ({len(ports)} ports)" if ports else "whole columns"
        return Walked(presence, chosen, rows, names, probe, failures, walk, {}, bulk.as_dict())

    def store(self, ctx: RunContext, plan: Plan, result: Walked) -> dict:
        now = utcnow()
        convert = _rows.Converter(now, ctx.olt_tz)
        result.cache = {}
        presence = _rows.decode_rows(
            result.presence, result.rows[result.presence.oid], result.names, result.cache
        )
        if not presence.by_position:
            raise JobError(_rows.nothing_placed(result.presence, presence))
        states = _states(result, convert)
        new, sighting, state = tuple.__new__, inventory.Sighting, states.get  # (made in C)
        found = {
            pos: new(sighting, (d, raw, state(pos)))
            for pos, (d, raw, _vb) in presence.by_position.items()
        }
        values, keep = _values(result, convert, set(found))
        if _state_known(result):
            _clear_offline_uptime(values, states, result.chosen["state"][0])
        obs = inventory.Observation(
            found=found,
            complete=result.presence.lists_every_onu,
            state_known=_state_known(result),
            values=values,
            keep_previous=frozenset(keep),
            online=result.chosen["state"][0].column.online if _state_known(result) else frozenset(),
        )
        labels = result.chosen["state"][0].labels if "state" in result.chosen else {}
        report = inventory.store(
            ctx.olt_id, ctx.execution_id, obs, labels or {}, ctx.absent_after, now
        )
        return _summary(plan, result, presence, report, convert)


def _unusable(column: Resolved, first, names: _rows.Names) -> str | None:
    """Why a column that answered cannot be used (None: it can)."""
    if column.formula.mode == "ifname":
        if not _rows.onu_interfaces(names):
            return "no interface is named like an ONU (GPON0/2:5)"
        return None
    raw = index_of(column.oid, first.oid)
    try:
        decode_index(column.formula, raw, names)
    except NotAnOnu:
        return None
    except ValueError as exc:
        return f"index {raw} does not decode with formula {column.formula_name}: {exc}"
    return None


def _presence(usable: list[Resolved]) -> Resolved | None:
    """The table that enumerates the ONUs: the best answering one (state tables first)."""

    def rank(c: Resolved) -> int:
        if c.column.every_onu:
            return 0 if c.attribute == "state" else 1
        return 2

    ordered = sorted(usable, key=rank)
    return ordered[0] if ordered else None


def _choose(usable: list[Resolved]) -> dict[str, list[Resolved]]:
    """Per attribute: the first answering candidate, and fallbacks while it may be empty."""
    chosen: dict[str, list[Resolved]] = {}
    for c in usable:
        cols = chosen.setdefault(c.attribute, [])
        if not cols or cols[-1].column.skip_empty:
            cols.append(c)
    return chosen


def _unique(columns: list[Resolved]) -> list[Resolved]:
    return list({c.oid: c for c in columns}.values())


def _state_known(result: Walked) -> bool:
    """Whether the chosen state column was walked in full (a failed one leaves states as they
    were, rather than writing "unknown" over every ONU)."""
    return "state" in result.chosen and result.chosen["state"][0].oid not in result.failures


def _states(result: Walked, convert: _rows.Converter) -> dict[str, int | None]:
    """State values by position, from the chosen state column."""
    if not _state_known(result):
        return {}
    column = result.chosen["state"][0]
    decoded = _rows.decode_rows(column, result.rows.get(column.oid, []), result.names, result.cache)
    values = convert.values(column, decoded).items()
    return {pos: value if isinstance(value, int) else None for pos, value in values}


def _values(result: Walked, convert, positions: set[str]) -> tuple[dict, set[str]]:
    """attribute -> position -> value for every ONU found; which attributes keep old values.

    Within an attribute the first column wins, but a column set only where operators set it
    (skip_empty) gives way to the next one where it is empty: the columns are applied last
    first, so each earlier one overwrites what it has.
    """
    values: dict[str, dict[str, object]] = {}
    keep: set[str] = set()
    for attribute, columns in result.chosen.items():
        usable = [c for c in columns if c.oid not in result.failures]
        if attribute == "state" or not usable:
            continue
        out = None
        for c in reversed(usable):
            rows = result.rows.get(c.oid, [])
            decoded = _rows.decode_rows(c, rows, result.names, result.cache)
            converted = convert.values(c, decoded, positions)
            if c.column.skip_empty:
                converted = {p: v for p, v in converted.items() if v not in (None, "")}
            if out is None and len(converted) == len(positions):
                out = converted  # (its positions are all of them: most columns list every ONU)
            else:
                out = out if out is not None else dict.fromkeys(positions)
                out.update(converted)
        values[attribute] = out
        if any(c.keep_previous or c.column.keep_previous for c in columns):
            keep.add(attribute)
    return values, keep


def _clear_offline_uptime(values: dict, states: dict, state_column: Resolved) -> None:
    """A last-up time means "online since" only while the ONU is online."""
    online = state_column.column.online
    if "uptime" not in values or not online:
        return
    for pos, state in states.items():
        if state is not None and state not in online:
            values["uptime"][pos] = None


_PARTIAL_TABLE = (
    "the ONUs were listed from a table that shows only some of them (online ONUs): "
    "ONUs missing from it were not marked absent"
)


def _summary(plan: Plan, result: Walked, presence, report, convert) -> dict:
    tables = {a: [c.column.label for c in cols] for a, cols in result.chosen.items()}
    known = {c.attribute for c in plan.columns}
    summary = {
        "profile": plan.profile,
        "walk": result.walk,
        "presence_table": result.presence.column.label,
        "tables": {a: t[0] if len(t) == 1 else t for a, t in tables.items()},
        "not_supported": sorted(known - set(result.chosen)),
        # what a NOC expects of an ONU but this profile has no table for at all
        "no_table_in_profile": sorted(set(EXPECTED_ATTRIBUTES) - known),
        **report.as_dict(),
        "undecoded": len(presence.undecoded),
        "undecoded_examples": presence.undecoded[:5],
        "not_onus": presence.not_onus,
        "stored": dict(report.stored),
    }
    if result.repetitions:
        summary["max_repetitions"] = result.repetitions
    if not result.presence.lists_every_onu:
        summary["presence_note"] = _PARTIAL_TABLE
    if report.kept_previous:
        summary["kept_previous"] = dict(report.kept_previous)
    if result.failures:
        summary["failed_tables"] = {
            c.column.label: str(result.failures[c.oid])
            for c in plan.columns
            if c.oid in result.failures
        }
    if convert.errors:
        summary["value_errors"] = dict(convert.errors)
        summary["value_error_examples"] = convert.examples
    rejected = {
        c.column.label: result.probe[c.oid]
        for c in plan.columns
        if result.probe.get(c.oid) not in ("answered", "no rows")
    }
    if rejected:
        summary["rejected_tables"] = rejected
    return summary


TYPE = PollType()
__all__ = ["TYPE", "Plan", "Walked", "label_overrides"]
Any  # noqa: B018  (kept for the JobType signature in type checkers)
