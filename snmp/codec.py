"""Compact BER (X.690) codec for SNMPv1/v2c messages: requests out, Response PDUs in.

pysnmp/pyasn1 stay the reference (and the SNMPv3 engine); this module only does what a
v1/v2c manager needs, without building ASN.1 objects, because decoding is the hot path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from snmp.errors import SnmpMalformed

log = logging.getLogger(__name__)

# PDU tags, RFC 3416 §3 (context-specific, constructed)
GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
# v2 exception values, RFC 3416 §3: [0] noSuchObject, [1] noSuchInstance, [2] endOfMibView
END_TAGS = frozenset({0x80, 0x81, 0x82})
_SEQUENCE, _INTEGER, _OCTETS, _NULL, _OID = 0x30, 0x02, 0x04, 0x05, 0x06
# one sub-identifier: continuation octets (bit 8 set) then a final octet, X.690 §8.19.2
_SUBID = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")
_MAX_SUBID_OCTETS = 10  # 70 bits; RFC 2578 allows 32, this just bounds the work
# printable ASCII plus tab/CR/LF: such octets render as themselves (see render_octets)
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_CONTROLS = bytes(b for b in range(0x80) if b not in _PLAIN)  # never printable


@dataclass(frozen=True)
class VarBind:
    """One OID/value pair; ``raw`` holds the octets of OctetString/Opaque values."""

    oid: str
    type: str
    value: object
    raw: bytes | None = None

    def __init__(self, oid: str, type: str, value: object, raw: bytes | None = None) -> None:  # noqa: A002
        # what the generated frozen __init__ does, without four object.__setattr__ calls
        # (walks build one VarBind per value)
        fields = self.__dict__
        fields["oid"], fields["type"], fields["value"], fields["raw"] = oid, type, value, raw


class Response(NamedTuple):
    """A parsed Response PDU; varbinds are (OID octets, value tag, value octets)."""

    version: int
    community: bytes
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[tuple[bytes, int, bytes]]


def render_octets(raw: bytes) -> str:
    """Decoded text if printable UTF-8 (tab/newline allowed), else upper-case hex."""
    rest = raw.translate(None, _PLAIN)
    if not rest:  # fast paths: plain ASCII is text, any ASCII control octet means hex
        return raw.decode("ascii")
    if len(rest.translate(None, _CONTROLS)) != len(rest):
        return raw.hex().upper()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex().upper()
    if all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return text
    return raw.hex().upper()


# ---------------------------------------------------------------- encoding


def _length(n: int) -> bytes:
    """Definite length octets, short or long form (X.690 §8.1.3; RFC 3417 §8 forbids indefinite)."""
    if n < 0x80:
        return _BYTE[n]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


_BYTE = [bytes((n,)) for n in range(256)]


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    return _BYTE[tag] + (_BYTE[n] if n < 0x80 else _length(n)) + content


def _integer(value: int) -> bytes:
    """Minimal two's-complement INTEGER (X.690 §8.3)."""
    if 0 <= value < 0x80:
        return b"\x02\x01" + _BYTE[value]
    size = (value + (value < 0)).bit_length() // 8 + 1
    return _tlv(_INTEGER, value.to_bytes(size, "big", signed=True))


def _subid(value: int) -> bytes:
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
        [_BYTE[a] if a < 0x80 else _subid(a) for a in (arcs[0] * 40 + arcs[1], *arcs[2:])]
    )


_HEADS: dict[str, tuple[bytes, str]] = {}  # OID text before its last arc -> octets, text + "."


def encode_name(oid: str) -> tuple[bytes, str]:
    """(encode_oid(oid), canonical dotted text); what precedes the last arc is cached."""
    head, _, last = oid.rpartition(".")
    known = _HEADS.get(head)
    if known is not None and last.isdigit() and last.isascii():
        n = int(last)
        return known[0] + (_BYTE[n] if n < 0x80 else _subid(n)), known[1] + str(n)
    octets = encode_oid(oid)
    if head.count(".") and head.strip(".").count("."):  # head is an OID of 2+ arcs itself
        if len(_HEADS) >= 4096:
            _HEADS.clear()
        head_octets = encode_oid(head)
        _HEADS[head] = head_octets, oid_str(head_octets) + "."
    return octets, oid_str(octets)


def _null_varbind(oid: bytes) -> bytes:
    """SEQUENCE { name, NULL } as requests carry it (RFC 3416 §3)."""
    n = len(oid)
    if n < 0x7C:
        return bytes((_SEQUENCE, n + 4, _OID, n)) + oid + b"\x05\x00"
    return _tlv(_SEQUENCE, _tlv(_OID, oid) + b"\x05\x00")


def encode_request(
    pdu: int,
    request_id: int,
    oids: Sequence[bytes],
    *,
    version: int,
    community: bytes,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A v1 (0) or v2c (1) message with one request PDU; ``oids`` are encode_oid() octets."""
    # GetBulk reuses the error-status/error-index slots, RFC 3416 §3
    second, third = (non_repeaters, max_repetitions) if pdu == GETBULK else (0, 0)
    varbinds = b"".join([_null_varbind(o) for o in oids])
    body = _integer(request_id) + _integer(second) + _integer(third) + _tlv(_SEQUENCE, varbinds)
    message = _integer(version) + _tlv(_OCTETS, community) + _tlv(pdu, body)
    return _tlv(_SEQUENCE, message)


# ---------------------------------------------------------------- decoding


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
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


def _expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    got, start, stop = _header(data, pos, end)
    if got != tag:
        raise SnmpMalformed(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def _int_at(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(INTEGER value, next position); Integer32 range as in RFC 3416 PDUs."""
    n = data[pos + 1]
    if data[pos] == _INTEGER and 0 < n < 5 and pos + 2 + n <= end:  # the usual short form
        return int.from_bytes(data[pos + 2 : pos + 2 + n], "big", signed=True), pos + 2 + n
    start, stop = _expect(data, pos, end, _INTEGER)
    value = int.from_bytes(data[start:stop], "big", signed=True)
    if start == stop or not -(2**31) <= value < 2**31:
        raise SnmpMalformed("bad INTEGER in message header")
    return value, stop


def _parse(data: bytes) -> Response:
    """Parse a whole message; may raise IndexError etc. on truncation (see parse_response)."""
    size = len(data)
    start, stop = _expect(data, 0, size, _SEQUENCE)
    if stop != size:
        raise SnmpMalformed("trailing octets after the message")
    version, pos = _int_at(data, start, size)
    cstart, pos = _expect(data, pos, size, _OCTETS)
    community = data[cstart:pos]
    pos, pdu_end = _expect(data, pos, size, RESPONSE)
    request_id, pos = _int_at(data, pos, pdu_end)
    status, pos = _int_at(data, pos, pdu_end)
    index, pos = _int_at(data, pos, pdu_end)
    pos, end = _expect(data, pos, pdu_end, _SEQUENCE)
    if end != pdu_end or pdu_end != size:
        raise SnmpMalformed("octets after the variable-bindings")
    return Response(version, community, request_id, status, index, _varbinds(data, pos, end))


def _varbinds(data: bytes, pos: int, end: int) -> list[tuple[bytes, int, bytes]]:
    """The VarBindList between pos and end; short lengths inlined (the hot loop)."""
    out = []
    append = out.append
    while pos < end:
        n = data[pos + 1]
        if data[pos] != _SEQUENCE:
            raise SnmpMalformed("variable-binding is not a SEQUENCE")
        if n < 0x80:
            start, stop = pos + 2, pos + 2 + n
        else:
            _, start, stop = _header(data, pos, end)
        n = data[start + 1]
        if stop > end or data[start] != _OID or n == 0:
            raise SnmpMalformed("variable-binding without an OBJECT IDENTIFIER")
        if n < 0x80:
            ostart, oend = start + 2, start + 2 + n
        else:
            _, ostart, oend = _header(data, start, stop)
        tag, n = data[oend], data[oend + 1]
        if n < 0x80:
            vstart, vend = oend + 2, oend + 2 + n
        else:
            _, vstart, vend = _header(data, oend, stop)
        if vend != stop or (tag & 0x1F) == 0x1F:
            raise SnmpMalformed("variable-binding length mismatch")
        append((data[ostart:oend], tag, data[vstart:vend]))
        pos = stop
    return out


def parse_response(data: bytes) -> Response:
    """Parse a v1/v2c Response message; SnmpMalformed for anything else, never another error."""
    try:
        return _parse(data)
    except SnmpMalformed:
        raise
    except Exception as exc:  # IndexError on truncation, etc.: all mean a bad datagram
        raise SnmpMalformed(f"undecodable SNMP message: {type(exc).__name__}") from None


def request_id_of(data: bytes) -> int | None:
    """The request-id of a (possibly broken) Response message, if its header is readable."""
    try:
        size = len(data)
        start, _ = _expect(data, 0, size, _SEQUENCE)
        _, pos = _int_at(data, start, size)
        _, pos = _expect(data, pos, size, _OCTETS)
        pos, pdu_end = _expect(data, pos, size, RESPONSE)
        return _int_at(data, pos, pdu_end)[0]
    except Exception:  # any failure just means "not attributable"
        return None


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


def _unsigned(name: str, bits: int) -> Callable[[bytes], tuple[str, object, None]]:
    limit = 1 << bits

    def decode(content: bytes) -> tuple[str, object, None]:
        value = int.from_bytes(content, "big", signed=True)
        if not content or not 0 <= value < limit or len(content) > bits // 8 + 1:
            raise SnmpMalformed(f"{name} out of range")
        return name, value, None

    return decode


def _integer32(content: bytes) -> tuple[str, object, None]:
    value = int.from_bytes(content, "big", signed=True)
    if not content or len(content) > 5 or not -(2**31) <= value < 2**31:
        raise SnmpMalformed("Integer32 out of range")  # RFC 2578 §7.1.1
    return "Integer", value, None


def _ip(content: bytes) -> tuple[str, object, None]:
    if len(content) != 4:
        raise SnmpMalformed("IpAddress must be 4 octets")  # RFC 2578 §7.1.5
    return "IpAddress", ".".join(map(str, content)), None


def _empty(name: str) -> Callable[[bytes], tuple[str, object, None]]:
    def decode(content: bytes) -> tuple[str, object, None]:
        if content:
            raise SnmpMalformed(f"{name} with content")
        return name, None, None

    return decode


_DECODERS = {
    _INTEGER: _integer32,
    _OCTETS: lambda c: ("OctetString", render_octets(c), c),
    _NULL: _empty("Null"),
    _OID: lambda c: ("ObjectIdentifier", oid_str(c), None),
    0x40: _ip,  # RFC 2578 / RFC 3416 application tags
    0x41: _unsigned("Counter32", 32),
    0x42: _unsigned("Gauge32", 32),  # also Unsigned32: same tag
    0x43: _unsigned("TimeTicks", 32),
    0x44: lambda c: ("Opaque", c.hex().upper(), c),
    0x46: _unsigned("Counter64", 64),
    0x80: _empty("noSuchObject"),
    0x81: _empty("noSuchInstance"),
    0x82: _empty("endOfMibView"),
}


def decode_value(tag: int, content: bytes) -> tuple[str, object, bytes | None]:
    """(type name, rendered value, raw octets or None) of one value; SnmpMalformed if bad."""
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise SnmpMalformed(f"unknown value tag 0x{tag:02x}")
    return decoder(content)


def to_varbinds(response: Response) -> list[VarBind]:
    """All variable-bindings of a parsed response as VarBinds."""
    return [VarBind(oid_str(o), *decode_value(t, c)) for o, t, c in response.varbinds]


def decode_response(data: bytes) -> tuple[int, int, int, list[VarBind]]:
    """(request_id, error_status, error_index, VarBinds) of a Response message."""
    response = parse_response(data)
    return response[2], response[3], response[4], to_varbinds(response)
