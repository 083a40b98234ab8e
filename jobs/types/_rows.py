"""What every job type does with rows: walk them, decode their indexes, convert their values."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections import Counter
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from jobs.columns import Resolved
from snmp.client import (
    EXCEPTION_TYPES,
    Target,
    VarBind,
    index_of,
    walk_columns_sync,
)
from snmp.errors import SnmpError, SnmpTimeout, SnmpTooMuchData, SnmpUnreachable
from snmp.indexes import IFDESCR_OID, IFNAME_OID, DecodedIndex, NotAnOnu, decode_index
from snmp.values import SLOW, ValueRuleError, apply_rule, int_converter, octets_converter
from webapp.models import Onu
from webapp.models.inventory import ATTRIBUTE_COLUMNS

log = logging.getLogger(__name__)
NAME_COLUMNS = (IFNAME_OID, IFDESCR_OID)
SUBTREES_PER_REQUEST = 16  # columns x PONs per GETBULK: each answer must fit in a datagram
EXAMPLES = 5
# Text from an OLT is cut to its column's size (an agent may send kilobytes of "description"),
# and an index whose position or raw form does not fit is not an ONU we can store.
TEXT_LIMITS = {
    a: Onu.__table__.c[c].type.length
    for a, c in ATTRIBUTE_COLUMNS.items()
    if getattr(Onu.__table__.c[c].type, "length", None)
}
POSITION_MAX = Onu.__table__.c["position"].type.length
RAW_INDEX_MAX = Onu.__table__.c["raw_index"].type.length

Names = dict[int, tuple[str, ...]]


def if_names(target: Target) -> Names:
    """IF-MIB ifName and ifDescr of every interface, by ifIndex (names decode ONU positions)."""
    walked = walk_columns_sync(target, list(NAME_COLUMNS))
    out: dict[int, list[str]] = {}
    for column in NAME_COLUMNS:
        for vb in walked[column]:
            index = index_of(column, vb.oid)
            if index.isdigit() and vb.type == "OctetString":
                out.setdefault(int(index), []).append(str(vb.value or "").strip())
    return {k: tuple(v) for k, v in out.items()}


def pon_ports(names: Names) -> list[int]:
    """ifIndexes of PON ports (named "GPON 0/1/3", not ONU interfaces such as "GPON0/2:5")."""
    from snmp.indexes import parse_onu_name

    ports = []
    for ifindex, labels in sorted(names.items()):
        for label in labels:
            try:
                *_, onu = parse_onu_name(label)
            except ValueError:
                continue
            if onu is None:
                ports.append(ifindex)
            break
    return ports


def onu_interfaces(names: Names) -> int:
    """How many interfaces are named like ONUs ("GPON0/2:5")."""
    from snmp.indexes import parse_onu_name

    count = 0
    for labels in names.values():
        for label in labels:
            try:
                if parse_onu_name(label)[3] is not None:
                    count += 1
                    break
            except ValueError:
                continue
    return count


def subtrees(columns: list[Resolved], ports: list[int]) -> dict[str, str]:
    """Subtree -> column OID: per PON for columns indexed <PON ifIndex>.<onu>, else whole."""
    out = {}
    for c in columns:
        if ports and c.formula.onu_from_dot and c.formula.mode in ("linear", "ifname"):
            for port in ports:
                out[f"{c.oid}.{port}"] = c.oid
        else:
            out[c.oid] = c.oid
    return out


def _walk_sync(
    target: Target, trees: list[str], between: Callable[[], None] | None
) -> dict[str, list[VarBind]]:
    """walk_columns_sync that also runs ``between`` while it waits, and stops the walk as
    soon as ``between`` raises."""
    return walk_columns_sync(target, trees, between)


def walk(
    target: Target,
    columns: list[Resolved],
    ports: list[int],
    required: str | None = None,
    between: Callable[[], None] | None = None,
) -> tuple[dict, dict]:
    """Walk the columns (several per request; per PON where that pays); (rows, failures).

    A request refused as a whole (genErr on one column, a malformed answer) is retried column
    by column, so one bad column costs only itself (failures: column OID -> the SnmpError);
    a timeout or an unreachable OLT fails all, and so does a failure of ``required``.
    ``between`` (the run's lock check) runs before and during each walk; when it raises,
    the walk stops and the exception propagates.
    """
    check = between or (lambda: None)
    trees = subtrees(columns, ports)
    rows: dict[str, list[VarBind]] = {c.oid: [] for c in columns}
    failures: dict[str, SnmpError] = {}
    names = list(trees)
    for start in range(0, len(names), SUBTREES_PER_REQUEST):
        chunk = names[start : start + SUBTREES_PER_REQUEST]
        check()
        try:
            walked = _walk_sync(target, chunk, between)
        except (SnmpTimeout, SnmpUnreachable, SnmpTooMuchData):  # one column at a time won't help
            raise
        except SnmpError as exc:
            if len(chunk) == 1:
                if trees[chunk[0]] == required:
                    raise
                failures[trees[chunk[0]]] = exc
                continue
            log.info("walk of %d subtrees on %s failed (%s): one by one", len(chunk), target, exc)
            walked = {}
            for tree in chunk:
                check()
                try:
                    walked.update(_walk_sync(target, [tree], between))
                except (SnmpTimeout, SnmpUnreachable, SnmpTooMuchData):
                    raise
                except SnmpError as one:
                    failures[trees[tree]] = one
        for tree, got in walked.items():
            rows[trees[tree]].extend(got)
        if required in failures:
            raise failures[required]  # without its enumerating table a run has nothing
    return rows, failures


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run a block without the cyclic garbage collector (restored as it was afterwards).

    A store allocates a few hundred thousand small objects that all survive (rows by
    position, values, row dicts) while the walk's VarBinds fill the heap: each allocation
    burst triggered full collections that traversed the whole heap, 3-5 times the decoding's
    own cost (bench/store.py). Nothing of a store is a cycle that must be freed early.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Decoded:
    """The rows of one column by ONU position, and what could not be placed."""

    by_position: dict[str, tuple[DecodedIndex, str, VarBind]] = field(default_factory=dict)
    undecoded: list[str] = field(default_factory=list)
    not_onus: int = 0
    rows: int = 0


def decode_rows(
    column: Resolved, rows: list[VarBind], names: Names | None, cache: dict | None = None
) -> Decoded:
    """Place each row at its ONU position with the column's own formula.

    ``cache`` (shared by the columns of one store) decodes each index once per formula: the
    columns of a table share their indexes, and decoding is most of a poll's store time.
    """
    out = Decoded()
    known = {} if cache is None else cache.setdefault(column.formula, {})
    with paused_gc():
        _place(column, rows, names, known, out)
    return out


def _place(column: Resolved, rows: list[VarBind], names, known: dict, out: Decoded) -> None:
    prefix = column.oid + "."
    cut = len(prefix)
    by_position, undecoded = out.by_position, out.undecoded
    skipped = 0
    for vb in rows:
        if vb.type in EXCEPTION_TYPES:
            skipped += 1
            continue
        oid = vb.oid
        raw = oid[cut:] if oid.startswith(prefix) else index_of(column.oid, oid)
        entry = known.get(raw)
        if entry is None:
            entry = known[raw] = _decode(column, raw, names)
        decoded, name = entry
        if name is None:
            out.not_onus += 1
        elif decoded is None:
            undecoded.append(name)
        elif name not in by_position:
            by_position[name] = (decoded, raw, vb)
    out.rows = len(rows) - skipped


def _decode(column: Resolved, raw: str, names: Names | None) -> tuple:
    """(decoded, position) of an index; (None, None): not an ONU; (None, why): undecodable."""
    try:
        decoded = decode_index(column.formula, raw, names)
    except NotAnOnu:
        return None, None
    except ValueError as exc:
        return None, f"{raw[:80]}: {exc}"
    if not decoded.is_onu:
        return None, None
    if len(decoded.name) > POSITION_MAX or len(raw) > RAW_INDEX_MAX:
        return None, f"{raw[:80]}…: index longer than an ONU's position may be"
    return decoded, decoded.name


# the attributes whose numbers _shape changes (others keep a number as it is)
_SHAPED_INTS = frozenset({"uptime", "last_down_cause", "distance", "pon_port"})
_PLAIN_INTS = frozenset({"distance", "pon_port"})  # of those, the ones an int passes as it is


@dataclass
class Converter:
    """Turns varbinds into stored values: rules, enum labels, uptimes as "online since"."""

    now: datetime
    olt_tz: tzinfo | None = None
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def value(self, column: Resolved, vb: VarBind, position: str) -> object:
        """The value to store for one row (None: no value; errors are counted, not raised)."""
        try:
            value = apply_rule(column.rule, vb)
        except ValueRuleError as exc:
            attribute = column.attribute
            self.errors[attribute] += 1
            shown = self.examples.setdefault(attribute, [])
            if len(shown) < EXAMPLES:
                shown.append(f"{position}: {exc}")
            return None
        return self._shape(column, value)

    def values(
        self, column: Resolved, decoded: Decoded, only: Container[str] | None = None
    ) -> dict[str, object]:
        """value() of every placed row (of the positions in ``only``), by position.

        Integer rows of an integer rule take a converter made once for the column rather
        than four calls per row (a poll converts ten columns of every ONU); any other row,
        and any that fails there, goes through value() itself.
        """
        fast = int_converter(column.rule)
        shape = functools.partial(self._shape, column) if column.attribute in _SHAPED_INTS else None
        keeps_ints = column.attribute in _PLAIN_INTS  # _shape returns an int as it is
        octets = octets_converter(column.rule)  # likewise for OctetString rows of text rules
        # _shape of a str from octets: cut to the column's size (uptime: _shape decides)
        limit = TEXT_LIMITS.get(column.attribute) if column.attribute != "uptime" else -1
        out: dict[str, object] = {}
        with paused_gc():
            for pos, (_d, _raw, vb) in decoded.by_position.items():
                if only is not None and pos not in only:
                    continue
                raw = vb.value
                if fast is not None and type(raw) is int and vb.type == "Integer":
                    try:
                        value = fast(raw)
                    except (ValueError, OverflowError):
                        value = self.value(column, vb, pos)  # counts the error
                    else:
                        if shape is not None and not (keeps_ints and type(value) is int):
                            value = shape(value)
                elif octets is not None and vb.type == "OctetString" and vb.raw is not None:
                    value = octets(bytes(vb.raw))
                    if value is SLOW:
                        value = self.value(column, vb, pos)
                    elif limit == -1:
                        value = self._shape(column, value)
                    elif limit is not None and value is not None:
                        value = value[:limit]
                else:
                    value = self.value(column, vb, pos)
                out[pos] = value
        return out

    def _shape(self, column: Resolved, value: object) -> object:
        attribute = column.attribute
        if attribute == "uptime":
            return self._since(value)
        if attribute == "last_down_cause" and isinstance(value, int) and column.labels:
            return column.labels.get(value, str(value))
        if attribute == "last_down_cause" and value is not None:
            value = str(value)
        if attribute in ("distance", "pon_port") and isinstance(value, float):
            return round(value)
        if isinstance(value, str) and attribute in TEXT_LIMITS:
            return value[: TEXT_LIMITS[attribute]]
        return value

    def _since(self, value: object) -> datetime | None:
        """An uptime in seconds or a last-up date, as the time the ONU came online (UTC)."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.olt_tz or self.now.tzinfo)
            value = value.astimezone(self.now.tzinfo)
            return value if value <= self.now + timedelta(days=1) else None
        if isinstance(value, int | float) and 0 < value < 100 * 365 * 86400:
            return self.now - timedelta(seconds=value)
        return None


def nothing_placed(column: Resolved, decoded: Decoded) -> str:
    """The error of a walk none of whose rows is an ONU (a wrong formula, or no ONUs)."""
    if decoded.undecoded:
        return (
            f"none of the {decoded.rows} rows of {column.column.label} decodes with formula "
            f"{column.formula_name}: {'; '.join(decoded.undecoded[:3])}"
        )
    return f"{column.column.label} has {decoded.rows} rows and none is an ONU"
