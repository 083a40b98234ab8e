"""What every job type does with rows: walk them, decode their indexes, convert their values."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import operator
from collections import Counter
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from itertools import repeat

from jobs.columns import Resolved
from snmp.client import (
    EXCEPTION_TYPES,
    Target,
    VarBind,
    index_of,
    walk_columns_sync,
)
from snmp.errors import SnmpError, SnmpTimeout, SnmpTooMuchData, SnmpUnreachable
from snmp.indexes import IFDESCR_OID, IFNAME_OID, DecodedIndex, NotAnOnu, index_decoder
from snmp.values import (
    SLOW,
    ValueRuleError,
    apply_rule,
    int_column,
    int_converter,
    octets_column,
    octets_converter,
)
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


class Decoded:
    """The rows of one column by ONU position, and what could not be placed.

    ``aligned``: (positions, rows) in the walk's order, when every row of the column was
    placed at its own position; ``by_position`` is then built from it only when asked for
    (a poll converts its columns straight from the lists).
    """

    def __init__(self) -> None:
        self._by_position: dict[str, tuple[DecodedIndex, str, VarBind]] = {}
        self.undecoded: list[str] = []
        self.not_onus = 0
        self.rows = 0
        self.aligned: tuple[list[str], list[VarBind]] | None = None
        self._entries: list | None = None  # the (decoded, raw) of the aligned rows

    @property
    def by_position(self) -> dict[str, tuple[DecodedIndex, str, VarBind]]:
        if self.aligned is not None and not self._by_position:
            positions, rows = self.aligned
            self._by_position = {
                p: (d, raw, vb)
                for p, (d, raw), vb in zip(positions, self._entries, rows, strict=True)
            }
        return self._by_position

    def columns(self, only: Container[str] | None = None) -> tuple[list[str], list[VarBind]]:
        """(positions, rows) of the placed rows (of the positions in ``only``), in order."""
        if self.aligned is not None and (
            only is None
            or (
                only.issuperset(self.aligned[0])
                if isinstance(only, set | frozenset)
                else all(map(only.__contains__, self.aligned[0]))
            )
        ):
            return self.aligned
        items = self.by_position.items()
        if only is not None:
            items = [(p, e) for p, e in items if p in only]
        return [p for p, _ in items], [e[2] for _, e in items]


# keys in a formula's decoding cache besides the indexes: the rows every column may share,
# and the formula's decoder
_ALIGNED, _DECODER = None, 0


def decode_rows(
    column: Resolved, rows: list[VarBind], names: Names | None, cache: dict | None = None
) -> Decoded:
    """Place each row at its ONU position with the column's own formula.

    ``cache`` (shared by the columns of one store) decodes each index once per formula: the
    columns of a table share their indexes, and decoding is most of a poll's store time.
    A column whose rows have the very indexes, in the same order, of the first column placed
    whole with that formula takes its positions at once (the columns of a table usually
    list the same ONUs in the same order): no per-row work at all.
    """
    out = Decoded()
    known = {} if cache is None else cache.setdefault(column.formula, {})
    with paused_gc():
        if cache is None or not _same_rows(column, rows, known, out):
            _place(column, rows, names, known, out)
            if cache is not None and _ALIGNED not in known:
                _remember(column, rows, known, out)
    return out


def _same_rows(column: Resolved, rows: list[VarBind], known: dict, out: Decoded) -> bool:
    """Place ``rows`` as the remembered column's when they have its indexes in its order."""
    aligned = known.get(_ALIGNED)
    if aligned is None or len(aligned[0]) != len(rows):
        return False
    positions, entries, raws = aligned
    prefix = column.oid + "."
    # each OID is prefix + its raw index: the OIDs joined are the indexes joined with the
    # prefix before each (two joins and one comparison in C; OIDs are dotted digits, so a
    # line break is in none of them and the joined texts are equal only if each row is)
    if "\n".join(map(_OID, rows)) != prefix + ("\n" + prefix).join(raws):
        return False
    if not EXCEPTION_TYPES.isdisjoint(map(_TYPE, rows)):
        return False
    out.aligned, out._entries, out.rows = (positions, rows), entries, len(rows)
    return True


def _remember(column: Resolved, rows: list[VarBind], known: dict, out: Decoded) -> None:
    """Keep a column's placing for the next columns when each of its rows has a position."""
    if out.undecoded or out.not_onus or out.rows != len(rows) or len(out.by_position) != len(rows):
        known[_ALIGNED] = None  # only the first column is compared with
        return
    positions = list(out.by_position)
    entries = [(d, raw) for d, raw, _vb in out.by_position.values()]
    raws = [raw for _d, raw in entries]
    known[_ALIGNED] = (positions, entries, raws)


def _place(column: Resolved, rows: list[VarBind], names, known: dict, out: Decoded) -> None:
    prefix = column.oid + "."
    cut = len(prefix)
    decode = known.get(_DECODER)
    if decode is None:
        decode = known[_DECODER] = index_decoder(column.formula, names)
    if _place_column(rows, prefix, decode, known, out):
        return
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
            entry = known[raw] = _decode(decode, raw)
        decoded, name = entry
        if name is None:
            out.not_onus += 1
        elif decoded is None:
            undecoded.append(name)
        elif name not in by_position:
            by_position[name] = (decoded, raw, vb)
    out.rows = len(rows) - skipped


def _place_column(rows: list[VarBind], prefix: str, decode, known: dict, out: Decoded) -> bool:
    """_place of a column at once, when every row is a value under the column with an index
    the decoder's ``column`` decodes and a position of its own (the usual walk: 16,384 ONUs
    placed in C maps rather than four calls each); False: nothing done, place row by row."""
    by_column = getattr(decode, "column", None)
    if by_column is None or not rows or not EXCEPTION_TYPES.isdisjoint(map(_TYPE, rows)):
        return False
    oids = list(map(_OID, rows))
    if not all(map(str.startswith, oids, repeat(prefix))):
        return False
    raws = list(map(operator.getitem, oids, repeat(slice(len(prefix), None))))
    got = by_column(raws)
    if got is None:
        return False
    decoded, positions = got
    if (
        max(map(len, positions)) > POSITION_MAX
        or max(map(len, raws)) > RAW_INDEX_MAX
        or len(set(positions)) != len(positions)  # (row by row, the first of each is kept)
    ):
        return False
    entries = list(zip(decoded, raws, strict=True))
    known.update(zip(raws, zip(decoded, positions, strict=True), strict=True))  # as _decode's
    out.aligned, out._entries, out.rows = (positions, rows), entries, len(rows)
    return True


def _decode(decode: Callable[[str], DecodedIndex], raw: str) -> tuple:
    """(decoded, position) of an index; (None, None): not an ONU; (None, why): undecodable."""
    try:
        decoded = decode(raw)
    except NotAnOnu:
        return None, None
    except ValueError as exc:
        return None, f"{raw[:80]}: {exc}"
    if not decoded.is_onu:
        return None, None
    name = decoded.name
    if len(name) > POSITION_MAX or len(raw) > RAW_INDEX_MAX:
        return None, f"{raw[:80]}…: index longer than an ONU's position may be"
    return decoded, name


# the attributes whose numbers _shape changes (others keep a number as it is)
_SHAPED_INTS = frozenset({"uptime", "last_down_cause", "distance", "pon_port"})
_PLAIN_INTS = frozenset({"distance", "pon_port"})  # of those, the ones an int passes as it is
_TYPE, _VALUE, _RAW, _OID = (operator.attrgetter(a) for a in ("type", "value", "raw", "oid"))


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

        A column at once: Integer rows of an integer rule take a converter made once for the
        column rather than four calls per row (a poll converts ten columns of every ONU), and
        OctetString rows of a text, serial or date rule likewise; where every row is of that
        kind the converter is mapped over the column's values without a loop of ours. Any
        other row, and any that fails there, goes through value() itself.
        """
        positions, rows = decoded.columns(only)
        with paused_gc():
            converted = self._column(column, positions, rows)
        return dict(zip(positions, converted, strict=True))

    def _column(self, column: Resolved, positions: list[str], rows: list[VarBind]) -> list:
        fast = int_converter(column.rule)
        shape = functools.partial(self._shape, column) if column.attribute in _SHAPED_INTS else None
        keeps_ints = column.attribute in _PLAIN_INTS  # _shape returns an int as it is
        octets = octets_converter(column.rule)  # likewise for OctetString rows of text rules
        # _shape of a str from octets: cut to the column's size (uptime: _shape decides)
        limit = TEXT_LIMITS.get(column.attribute) if column.attribute != "uptime" else -1
        kinds = set(map(_TYPE, rows))
        if fast is not None and kinds == {"Integer"}:
            values = list(map(_VALUE, rows))
            if set(map(type, values)) == {int}:
                try:
                    out = int_column(column.rule)(values)
                except (ValueError, OverflowError):
                    pass  # row by row below: value() counts the error
                else:
                    labels = column.labels if column.attribute == "last_down_cause" else None
                    if shape is not None and labels:
                        out = [labels.get(v, str(v)) if type(v) is int else shape(v) for v in out]
                    elif shape is not None:  # (above: _shape's labels of causes, in one pass)
                        out = [v if keeps_ints and type(v) is int else shape(v) for v in out]
                    return out
        elif octets is not None and kinds == {"OctetString"}:
            raws = list(map(_RAW, rows))
            if set(map(type, raws)) == {bytes}:
                out = octets_column(column.rule)(raws)
                slow = out.count(SLOW)  # (SLOW equals nothing but itself)
                if limit == -1:
                    out = self._uptimes(column, out)
                elif not set(map(type, out)) <= {str, type(None), object}:
                    out = [v if v is SLOW else self._shape(column, v) for v in out]  # dates
                elif limit is not None:
                    out = [v[:limit] if v is not None and v is not SLOW else v for v in out]
                if slow:
                    out = [
                        self.value(column, vb, pos) if v is SLOW else v
                        for v, vb, pos in zip(out, rows, positions, strict=True)
                    ]
                return out
        return [
            self._one(column, vb, pos, fast, shape, keeps_ints, octets, limit)
            for pos, vb in zip(positions, rows, strict=True)
        ]

    def _one(self, column, vb, pos, fast, shape, keeps_ints, octets, limit) -> object:
        """One row of _column, with the column's converters."""
        raw = vb.value
        if fast is not None and type(raw) is int and vb.type == "Integer":
            try:
                value = fast(raw)
            except (ValueError, OverflowError):
                return self.value(column, vb, pos)  # counts the error
            if shape is not None and not (keeps_ints and type(value) is int):
                value = shape(value)
            return value
        if octets is not None and vb.type == "OctetString" and vb.raw is not None:
            value = octets(bytes(vb.raw))
            if value is SLOW:
                return self.value(column, vb, pos)
            if limit == -1 or not (value is None or type(value) is str):
                return self._shape(column, value)  # an uptime, a date
            if limit is not None and value is not None:
                return value[:limit]
            return value
        return self.value(column, vb, pos)

    def _uptimes(self, column: Resolved, values: list) -> list:
        """_shape of an uptime column's values: the dates already in the store's zone (a
        DateAndTime with its zone, converted to UTC) kept or dropped as _since would, without
        its calls for each; the others through _shape."""
        zone, latest, shape = self.now.tzinfo, self.now + timedelta(days=1), self._shape
        if zone is None:  # (a naive "now" would have naive dates take the OLT's zone)
            return [v if v is SLOW else shape(column, v) for v in values]
        return [
            (v if v <= latest else None)
            if type(v) is datetime and v.tzinfo is zone
            else v
            if v is None or v is SLOW
            else shape(column, v)
            for v in values
        ]

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
    from jobs.messages import Message

    if decoded.undecoded:
        return Message(
            "rows_undecodable",
            rows=decoded.rows,
            column=column.column.label,
            formula=column.formula_name,
            examples="; ".join(decoded.undecoded[:3]),
        )
    return Message("rows_not_onus", column=column.column.label, rows=decoded.rows)
