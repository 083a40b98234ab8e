"""Walk state of one table column: where it continues, the rows taken, checks on its indexes."""

from __future__ import annotations

from snmp import codec
from snmp.codec import END_TAGS, VarBind, decode_value, render_octets
from snmp.errors import SnmpMalformed

MAX_ROWS = 1_000_000  # per column: a walk past this is an agent returning ever-growing OIDs
_SMALL = tuple(str(n) for n in range(128))  # text of one-octet sub-identifiers
from_bytes = int.from_bytes
_INTEGER, _OCTETS = 0x02, 0x04  # universal tags, X.690 §8.3 / §8.7


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

    def take(self, answers: list[tuple[bytes, int, bytes]]) -> bool:
        """Record this column's answers; False once one ends it (out of subtree or exception)."""
        rows, prefix, small, key, arc, text = (
            self.rows,
            self.prefix,
            _SMALL,
            self._key,
            self._arc,
            self._text,
        )
        append, taken, going = rows.append, None, True
        for oid, tag, content in answers:
            last = oid[-1]  # hot path: same head, a larger one-octet last arc, not an exception
            if arc < last < 0x80 and tag < 0x80 and oid[:-1] == key:
                arc, name = last, text + small[last]
            elif tag in END_TAGS or not oid.startswith(prefix):
                going = False
                break
            else:
                self._arc = arc
                name = self._index(oid)  # checks that the index increases
                key, arc, text = self._key, self._arc, self._text
            if tag == _INTEGER and 0 < len(content) < 5:
                append(VarBind(name, "Integer", from_bytes(content, "big", signed=True)))
            elif tag == _OCTETS:
                append(VarBind(name, "OctetString", render_octets(content), content))
            else:
                append(VarBind(name, *decode_value(tag, content)))
            taken = oid
        self._arc = arc
        if taken is not None:
            self.next_oid = taken
        if len(rows) > self.limit:
            raise SnmpMalformed(f"{self.name} has more than {self.limit} rows: a looping agent?")
        return going

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
                head = codec.oid_arcs(rest[:-1], first=False) if len(rest) > 1 else ()
                if len(self._heads) >= 4096:
                    self._heads.clear()
                entry = self._heads[key] = (head, self.dotted + "".join(f"{a}." for a in head))
            arcs, text = (*entry[0], oid[-1]), entry[1] + _SMALL[oid[-1]]
        if arcs <= self.last:
            raise SnmpMalformed(f"non-increasing OID {text} while walking {self.name}")
        self.last = arcs
        if key is not None:
            self._key, self._text = key, entry[1]
        return text
