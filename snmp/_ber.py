"""Pure BER (X.690) primitives for snmp.codec: lengths, INTEGERs, OBJECT IDENTIFIERs, headers.

No SNMP knowledge here beyond the universal tags; snmp.codec re-exports what it uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from snmp.errors import SnmpMalformed

SEQUENCE, INTEGER, OCTETS, NULL, OID = 0x30, 0x02, 0x04, 0x05, 0x06  # universal tags
BYTE = [bytes((n,)) for n in range(256)]
# one sub-identifier: continuation octets (bit 8 set) then a final octet, X.690 §8.19.2
_SUBID = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")
_MAX_SUBID_OCTETS = 10  # 70 bits; RFC 2578 allows 32, this just bounds the work


# ---------------------------------------------------------------- encoding


def length(n: int) -> bytes:
    """Definite length octets, short or long form (X.690 §8.1.3; RFC 3417 §8 forbids indefinite)."""
    if n < 0x80:
        return BYTE[n]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    """Tag, length and content octets."""
    n = len(content)
    return BYTE[tag] + (BYTE[n] if n < 0x80 else length(n)) + content


def integer(value: int) -> bytes:
    """Minimal two's-complement INTEGER (X.690 §8.3)."""
    if 0 <= value < 0x80:
        return b"\x02\x01" + BYTE[value]
    size = (value + (value < 0)).bit_length() // 8 + 1
    return tlv(INTEGER, value.to_bytes(size, "big", signed=True))


def subid(value: int) -> bytes:
    """Base-128 sub-identifier, most significant group first (X.690 §8.19.2)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def encode_oid(oid: str | Sequence[int]) -> bytes:
    """Content octets of an OBJECT IDENTIFIER; ValueError for an invalid OID."""
    try:
        arcs = [int(x) for x in oid.strip().lstrip(".").split(".")] if isinstance(oid, str) else oid
    except ValueError:
        raise ValueError(f"not a numeric OID: {oid!r}") from None
    if len(arcs) < 2 or not 0 <= arcs[0] <= 2 or min(arcs) < 0 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"invalid OID {oid!r}")
    # the first two arcs share one sub-identifier, X.690 §8.19.4
    return b"".join(
        [BYTE[a] if a < 0x80 else subid(a) for a in (arcs[0] * 40 + arcs[1], *arcs[2:])]
    )


# ---------------------------------------------------------------- decoding


def header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``, which must fit before ``end``."""
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if n & 0x80:
        count = n & 0x7F
        if not 0 < count <= 4 or pos + count > end:  # 0x80 is the forbidden indefinite form
            raise SnmpMalformed(f"bad length octet 0x{n:02x}")
        n = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + n > end or (tag & 0x1F) == 0x1F:  # high tag numbers never occur in SNMP
        raise SnmpMalformed(f"tag 0x{tag:02x} length {n} runs past the data")
    return tag, pos, pos + n


def expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """(content start, content end) of the TLV at ``pos``, which must carry ``tag``."""
    got, start, stop = header(data, pos, end)
    if got != tag:
        raise SnmpMalformed(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def int_at(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(INTEGER value, next position); Integer32 range as in RFC 3416 PDUs."""
    n = data[pos + 1]
    if data[pos] == INTEGER and 0 < n < 5 and pos + 2 + n <= end:  # the usual short form
        return int.from_bytes(data[pos + 2 : pos + 2 + n], "big", signed=True), pos + 2 + n
    start, stop = expect(data, pos, end, INTEGER)
    value = int.from_bytes(data[start:stop], "big", signed=True)
    if start == stop or not -(2**31) <= value < 2**31:
        raise SnmpMalformed("bad INTEGER in message header")
    return value, stop


class _SubidCache(dict):
    """Multi-octet sub-identifier -> value; ifIndex-like arcs repeat across a table's rows."""

    def __missing__(self, group: bytes) -> int:
        if group[0] == 0x80 or len(group) > _MAX_SUBID_OCTETS:  # X.690 §8.19.2: minimal
            raise SnmpMalformed("non-minimal or oversized OID sub-identifier")
        value = 0
        for octet in group:
            value = (value << 7) | (octet & 0x7F)
        if len(self) >= 4096:
            self.clear()
        self[group] = value
        return value


_MULTI = _SubidCache()


def oid_arcs(content: bytes, *, first: bool = True) -> tuple[int, ...]:
    """Arcs of OID content octets; ``first=False`` for a suffix (no combined first arc)."""
    if not content or content[-1] & 0x80:
        raise SnmpMalformed("empty or truncated OBJECT IDENTIFIER")
    if content.isascii():  # every sub-identifier is one octet: the usual case
        arcs = list(content)
    else:
        arcs = [g[0] if len(g) == 1 else _MULTI[g] for g in _SUBID.findall(content)]
    if first:
        head = arcs[0]  # X.690 §8.19.4: X*40+Y, X in 0..2
        arcs[0:1] = (head // 40, head % 40) if head < 80 else (2, head - 80)
    return tuple(arcs)


def oid_str(content: bytes) -> str:
    """Dotted text of OID content octets."""
    return ".".join(map(str, oid_arcs(content)))
