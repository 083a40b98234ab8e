"""Walk state of one table column: where it continues, the rows taken, checks on its indexes."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

from snmp import codec
from snmp._ber import header
from snmp.codec import END_TAGS, VarBind, decode_value, new_varbinds, render_octets
from snmp.errors import SnmpMalformed

MAX_ROWS = 1_000_000  # per column: a walk past this is an agent returning ever-growing OIDs
_SMALL = tuple(str(n) for n in range(128))  # text of one-octet sub-identifiers
from_bytes = int.from_bytes
_SEQUENCE, _INTEGER, _OCTETS, _OID = 0x30, 0x02, 0x04, 0x06  # universal tags, X.690 §8
_INT1 = [n - 256 * (n > 127) for n in range(256)]  # a one-octet INTEGER's value
_new = tuple.__new__  # _new(VarBind, (oid, type, value, raw)): a VarBind without a Python call


class Column:
    """Walk state of one column: where to continue, last index seen, rows so far.

    Indexes are split before their last sub-identifier: the head (say a PON port's ifIndex)
    repeats over many rows, so its arcs and text are decoded once per column and cached.
    """

    __slots__ = ("name", "dotted", "prefix", "next_oid", "rows", "limit", "_heads", "_key")
    __slots__ += ("_head", "_arc", "_text")

    def __init__(self, name: str) -> None:
        self.prefix = codec.encode_oid(name)
        self.name = codec.oid_str(self.prefix)
        self.dotted = self.name + "."
        self.next_oid = self.prefix
        self.rows: list[VarBind] = []
        self.limit = MAX_ROWS
        self._heads: dict[bytes, tuple[tuple[int, ...], str]] = {}
        self.last = ()

    @property
    def last(self) -> tuple[int, ...]:
        """Arcs of the last index taken; () before the first row."""
        return self._head if self._arc < 0 else (*self._head, self._arc)

    @last.setter
    def last(self, arcs: tuple[int, ...]) -> None:
        self._key, self._text = None, ""
        self._head, self._arc = tuple(arcs[:-1]), arcs[-1] if arcs else -1

    def take(self, data: bytes, starts: Sequence[int]) -> bool:
        """Record the variable-bindings of ``data`` at ``starts`` (see varbind_starts); False
        once one ends the column (out of its subtree, or an exception value).

        Read straight from the datagram, no tuple per row (issue 11: decoding was most of a
        round trip's cost). The hot path is a row of the same head with a larger one-octet
        last arc, all lengths short; anything else goes through varbind_at and _index.
        """
        try:
            return self._take(data, starts)
        except IndexError:  # a length that runs past the datagram
            raise SnmpMalformed("undecodable SNMP message: IndexError") from None

    def _take(self, data: bytes, starts: Sequence[int]) -> bool:
        rows, prefix, small, int1, key, arc, text = (
            self.rows,
            self.prefix,
            _SMALL,
            _INT1,
            self._key,
            self._arc,
            self._text,
        )
        size = len(key) + 1 if key is not None else -1  # OID length of a row under ``key``
        append, taken, going, at, new = rows.append, -1, True, data.startswith, _new
        for start in starts:
            n, oend = data[start + 1], start + 4 + size
            stop = start + 2 + n
            if (
                n < 0x80
                and data[start + 3] == size
                and data[start + 2] == _OID
                and oend + 2 + data[oend + 1] == stop
                and arc < data[oend - 1] < 0x80
                and data[oend] < 0x80
                and at(key, start + 4)
            ):
                arc, tag, vstart = data[oend - 1], data[oend], oend + 2
                name = text + small[arc]
                if tag == _INTEGER and stop - vstart == 1:
                    append(new(VarBind, (name, "Integer", int1[data[vstart]], None)))
                    taken = start
                    continue
                content = data[vstart:stop]
            else:
                oid, tag, content = varbind_at(data, start)
                if tag in END_TAGS or not oid.startswith(prefix):
                    going = False
                    break
                self._arc = arc
                name = self._index(oid)  # checks that the index increases
                key, arc, text = self._key, self._arc, self._text
                size = len(key) + 1 if key is not None else -1
            if tag == _INTEGER and 0 < len(content) < 5:
                append(
                    new(VarBind, (name, "Integer", from_bytes(content, "big", signed=True), None))
                )
            elif tag == _OCTETS:
                append(new(VarBind, (name, "OctetString", render_octets(content), content)))
            else:
                append(VarBind(name, *decode_value(tag, content)))
            taken = start
        self._arc = arc
        if taken >= 0:
            self.next_oid = varbind_at(data, taken)[0]
        if len(rows) > self.limit:
            raise SnmpMalformed(f"{self.name} has more than {self.limit} rows: a looping agent?")
        return going

    def keep(self, data: bytes, layout: Layout) -> None:
        """Record an answer of one layout (see uniform): its rows are built by C-level maps."""
        head, arcs, tag, size, first, step = layout
        if head != self._key or arcs[0] <= self._arc:
            self._index(head + arcs[:1])  # a new head: checks that the index increases
        text, rows, count = self._text, self.rows, len(arcs)
        names = map(text.__add__, map(_SMALL.__getitem__, arcs))
        if tag == _INTEGER and size == 1:
            values = map(_INT1.__getitem__, data[first : first + count * step : step])
            rows.extend(new_varbinds(names, repeat("Integer", count), values, repeat(None, count)))
        else:
            stop = first + len(arcs) * step
            contents = [data[at : at + size] for at in range(first, stop, step)]
            if tag == _OCTETS:
                shown = map(render_octets, contents)
                rows.extend(new_varbinds(names, repeat("OctetString", count), shown, contents))
            else:
                rows.extend(
                    VarBind(n, *decode_value(tag, c)) for n, c in zip(names, contents, strict=True)
                )
        self._arc = arcs[-1]
        self.next_oid = head + arcs[-1:]
        if len(rows) > self.limit:
            raise SnmpMalformed(f"{self.name} has more than {self.limit} rows: a looping agent?")

    def _index(self, oid: bytes) -> str:
        """Full text of a new index (head changed or unusual encoding); checks it increases."""
        rest = oid[len(self.prefix) :]
        key = oid[:-1] if rest and oid[-1] < 0x80 and oid[-2] < 0x80 else None
        if key is None:
            arcs = codec.oid_arcs(rest, first=False) if rest else ()
            text = self.dotted + ".".join(map(str, arcs))
        else:
            entry = self._heads.get(key)
            if entry is None:
                head, text = _head_of(rest[:-1])
                if len(self._heads) >= 4096:
                    self._heads.clear()
                entry = self._heads[key] = (head, self.dotted + text)
            arcs, text = (*entry[0], oid[-1]), entry[1] + _SMALL[oid[-1]]
        if arcs <= self.last:
            raise SnmpMalformed(f"non-increasing OID {text} while walking {self.name}")
        self.last = arcs
        if key is not None:
            self._key, self._text = key, entry[1]
        return text


# Index heads under any column -> (their arcs, their text with a dot after each arc), kept from
# walk to walk: a worker walks the same OLTs' PON ports again and again, and a 4,096-ONU walk
# decoded ~170 heads a column (a sixth of its decoding, issue 11). Bounded: short heads
# only (an ifIndex takes 5 octets), and cleared when full, so a hostile agent that sends
# ever-new heads costs this dict at most _HEADS_MAX x 32 octets of keys.
_HEADS: dict[bytes, tuple[tuple[int, ...], str]] = {}
_HEADS_MAX, _HEAD_OCTETS = 16384, 32


def _head_of(octets: bytes) -> tuple[tuple[int, ...], str]:
    """(arcs, "a.b.c.") of an index head's octets (a suffix: no combined first arc)."""
    entry = _HEADS.get(octets)
    if entry is None:
        arcs = codec.oid_arcs(octets, first=False) if octets else ()
        entry = arcs, "".join([f"{a}." for a in arcs])
        if len(octets) <= _HEAD_OCTETS:
            if len(_HEADS) >= _HEADS_MAX:
                _HEADS.clear()
            _HEADS[octets] = entry
    return entry


def varbind_starts(data: bytes, pos: int) -> list[int]:
    """Where each variable-binding from ``pos`` to the end of ``data`` starts.

    Only their SEQUENCE headers are read: that each fits in ``data`` and that they end with
    it; varbind_at (or Column.take) checks what is inside. SnmpMalformed otherwise.
    """
    out: list[int] = []
    append, end = out.append, len(data)
    try:
        while pos < end:
            size = data[pos + 1]
            if data[pos] != _SEQUENCE:
                raise SnmpMalformed("variable-binding is not a SEQUENCE")
            append(pos)
            pos = pos + 2 + size if size < 0x80 else header(data, pos, end)[2]
    except IndexError:
        raise SnmpMalformed("undecodable SNMP message: IndexError") from None
    if pos != end:
        raise SnmpMalformed("variable-binding length mismatch")
    return out


def varbind_at(data: bytes, start: int) -> tuple[bytes, int, bytes]:
    """(OID octets, value tag, value octets) of the variable-binding at ``start``."""
    try:
        _, start, stop = header(data, start, len(data))
        n = data[start + 1]
        if data[start] != _OID or n == 0:
            raise SnmpMalformed("variable-binding without an OBJECT IDENTIFIER")
        _, ostart, oend = header(data, start, stop)
        tag, vstart, vend = header(data, oend, stop)
    except IndexError:
        raise SnmpMalformed("undecodable SNMP message: IndexError") from None
    if vend != stop:
        raise SnmpMalformed("variable-binding length mismatch")
    return data[ostart:oend], tag, data[vstart:vend]


# (OID head, last arcs, value tag, value size, first value's offset, variable-binding size)
Layout = tuple[bytes, bytes, int, int, int, int]


def uniform(data: bytes, pos: int, prefix: bytes) -> list[Layout] | None:
    """The variable-bindings from ``pos`` as runs of alike rows, if they are; else None.

    Alike: short lengths, one OID head under ``prefix``, strictly increasing one-octet last
    arcs, one value tag and size: the usual answer for a table column (the ONUs of a PON
    port, then of the next). Checked and cut with C-level slices, so no Python code runs
    per row (issue 11: a loop over 4,096 rows cost more than net-snmp's whole walk).
    """
    runs, end = [], len(data)
    while pos < end:
        run = _run(data, pos, prefix)
        if run is None:
            return None
        runs.append(run)
        pos += len(run[1]) * run[5]  # rows x their size: the next run's start
    return runs or None


def _run(data: bytes, pos: int, prefix: bytes) -> Layout | None:
    """The run of alike rows at ``pos`` (see uniform), as long as the head lasts."""
    try:
        size, length = data[pos + 1] + 2, data[pos + 3]
        tag, vsize = data[pos + length + 4], data[pos + length + 5]
    except IndexError:
        return None
    arc = length + 3  # offset of the last OID octet
    if (
        size > 0x81
        or data[pos] != _SEQUENCE
        or data[pos + 2] != _OID
        or length + vsize + 6 != size
        or tag >= 0x80  # an exception (endOfMibView...): the general path ends the column
        or tag & 0x1F == 0x1F
        or length < 2
        or data[pos + arc - 1] >= 0x80  # the head must end a sub-identifier
    ):
        return None
    head = data[pos + 4 : pos + arc]
    # rows under one head follow each other (OIDs increase); a count that is off is caught
    # below, or just ends the run early
    count = min(data.count(head, pos), (len(data) - pos) // size)
    stop = pos + count * size
    arcs = data[pos + arc : stop : size]
    if not head.startswith(prefix) or not arcs.isascii() or bytes(sorted(set(arcs))) != arcs:
        return None
    # all records equal the first once their arcs and values are zeroed: same head and layout
    masked, zeros = bytearray(data[pos:stop]), bytes(count)
    masked[arc::size] = zeros
    for at in range(length + 6, size):
        masked[at::size] = zeros
    if not count or masked != masked[:size] * count:
        return None
    return head, arcs, tag, vsize, pos + length + 6, size
