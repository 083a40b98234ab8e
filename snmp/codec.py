"""Compact BER (X.690) codec for SNMPv1/v2c messages: requests out, Response PDUs in.

pysnmp/pyasn1 stay the reference (and the SNMPv3 engine); this module only does what a
v1/v2c manager needs, without building ASN.1 objects, because decoding is the hot path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import NamedTuple

from snmp._ber import BYTE as _BYTE
from snmp._ber import encode_oid as encode_oid  # re-exported: callers use codec.*
from snmp._ber import expect as _expect
from snmp._ber import header as _header
from snmp._ber import int_at as _int_at
from snmp._ber import integer as _integer
from snmp._ber import oid_arcs as oid_arcs
from snmp._ber import oid_str as oid_str
from snmp._ber import subid as _subid
from snmp._ber import tlv as _tlv
from snmp.errors import SnmpMalformed

log = logging.getLogger(__name__)

# PDU tags, RFC 3416 §3 (context-specific, constructed)
GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
# v2 exception values, RFC 3416 §3: [0] noSuchObject, [1] noSuchInstance, [2] endOfMibView
END_TAGS = frozenset({0x80, 0x81, 0x82})
_SEQUENCE, _INTEGER, _OCTETS, _NULL, _OID = 0x30, 0x02, 0x04, 0x05, 0x06
# printable ASCII plus tab/CR/LF: such octets render as themselves (see render_octets)
_from_bytes = int.from_bytes
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_CONTROLS = bytes(b for b in range(0x80) if b not in _PLAIN)  # never printable


# SNMPv2 exception values (RFC 3416 §3): a varbind that carries no value for its OID.
EXCEPTION_TYPES = frozenset({"noSuchObject", "noSuchInstance", "endOfMibView"})
# ...and Null, which says the same in practice.
EMPTY_TYPES = EXCEPTION_TYPES | {"Null"}


class VarBind(NamedTuple):
    """One OID/value pair; ``raw`` holds the octets of OctetString/Opaque values.

    A NamedTuple (immutable, hashable, compared by value, attributes by name): walks build
    one per value, and tuple.__new__(VarBind, fields) builds one from C, no Python frame
    (``new_varbinds``); a frozen dataclass cost a Python __init__ each (issue 11).
    """

    oid: str
    type: str
    value: object
    raw: bytes | None = None


_tuple_new = tuple.__new__


def new_varbinds(names, types, values, raws) -> map:
    """VarBinds of four parallel iterables, built with no Python code per item (a map that
    ends with the shortest, as map(VarBind, ...) did)."""
    return map(_tuple_new, repeat(VarBind), zip(names, types, values, raws, strict=False))


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


# OID text before its last arc -> (OID TLV head for a one-octet last arc, text + ".", canonical)
_GET_HEADS: dict[str, tuple[bytes, str, bool]] = {}
_LAST = {str(n): _BYTE[n] for n in range(0x80)}  # canonical one-octet last arcs


def encode_names(oids: Sequence[str]) -> tuple[list[bytes], list[str]]:
    """(OBJECT IDENTIFIER TLVs, canonical names) of many OIDs; see encode_name.

    OIDs come in runs under a few heads (column.ifIndex), so a head is encoded once and each
    OID costs a split, two look-ups and a concatenation; canonical text is returned as given.
    """
    tlvs: list[bytes] = []
    names: list[str] = []
    add_tlv, add_name, heads, lasts = tlvs.append, names.append, _GET_HEADS, _LAST.get
    for oid in oids:
        head, _, last = oid.rpartition(".")
        known, octet = heads.get(head), lasts(last)
        if known is not None and octet is not None:
            add_tlv(known[0] + octet)
            add_name(oid if known[2] else known[1] + last)
            continue
        octets, name = encode_name(oid)
        add_tlv(_tlv(_OID, octets))
        add_name(name)
        if known is None and octet is not None and "." in head.strip().lstrip("."):
            # oid is valid and ends in a one-octet arc: its head is a valid OID too
            if len(heads) >= 4096:
                heads.clear()
            head_octets = octets[:-1]
            text = oid_str(head_octets)
            heads[head] = _tlv(_OID, octets)[:-1], text + ".", text == head
    return tlvs, names


def encode_get(request_id: int, tlvs: Sequence[bytes], *, version: int, community: bytes) -> bytes:
    """A GetRequest message for encode_names() TLVs: one join when all have the same size."""
    size = len(tlvs[0]) if tlvs else 0
    if size < 0x7E and all(len(t) == size for t in tlvs):
        seq = b"\x30" + _BYTE[size + 2]
        varbinds = seq + (b"\x05\x00" + seq).join(tlvs) + b"\x05\x00" if tlvs else b""
    else:
        varbinds = b"".join([_tlv(_SEQUENCE, t + b"\x05\x00") for t in tlvs])
    body = _integer(request_id) + b"\x02\x01\x00\x02\x01\x00" + _tlv(_SEQUENCE, varbinds)
    return _tlv(_SEQUENCE, _integer(version) + _tlv(_OCTETS, community) + _tlv(GET, body))


_SMALL_INTEGERS = [b"\x02\x01" + _BYTE[n] for n in range(0x80)]  # INTEGER TLVs of 0..127


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
    # a walk sends one request a round trip: small INTEGERs and a single name without calls
    varbinds = _null_varbind(oids[0]) if len(oids) == 1 else b"".join(map(_null_varbind, oids))
    small = _SMALL_INTEGERS
    body = (
        _integer(request_id)
        + (small[second] if 0 <= second < 0x80 else _integer(second))
        + (small[third] if 0 <= third < 0x80 else _integer(third))
        + _tlv(_SEQUENCE, varbinds)
    )
    message = (
        (small[version] if 0 <= version < 0x80 else _integer(version))
        + _tlv(_OCTETS, community)
        + _tlv(pdu, body)
    )
    return _tlv(_SEQUENCE, message)


# ---------------------------------------------------------------- decoding


def _head(data: bytes) -> tuple[Response, int]:
    """The message up to its variable-bindings (left empty) and where their content starts."""
    return _usual_head(data) or _full_head(data)


def _full_head(data: bytes) -> tuple[Response, int]:
    """_head of any message, field by field (SnmpMalformed, IndexError... if broken)."""
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
    return Response(version, community, request_id, status, index, []), pos


def _usual_head(data: bytes) -> tuple[Response, int] | None:
    """_head of the usual answer in one function, no call per field; None: anything else.

    Usual: the SEQUENCE, PDU and variable-bindings lengths in short, 0x81 or 0x82 form, a
    version, error-status and error-index of one octet each (0..127), a community shorter
    than 128 octets and a request-id of 1 to 4 octets. It checks what _full_head checks (the
    three lengths end with the datagram) and leaves every other message, broken ones
    included, to _full_head and its errors. A walk reads a head per round trip: the ten
    calls of _full_head cost a seventh of its decoding (callgrind, issue 11).
    """
    size = len(data)
    try:
        n = data[1]
        pos = 2 if n < 0x80 else 3 if n == 0x81 else 4 if n == 0x82 else 0
        if (
            not pos
            or data[0] != _SEQUENCE
            or (n if pos == 2 else data[2] if pos == 3 else data[2] << 8 | data[3]) != size - pos
            or data[pos] != _INTEGER
            or data[pos + 1] != 1
        ):
            return None
        version, count = data[pos + 2], data[pos + 4]
        if version >= 0x80 or data[pos + 3] != _OCTETS or count >= 0x80:
            return None
        cstart = pos + 5
        pos = cstart + count
        community, n = data[cstart:pos], data[pos + 1]
        start = pos + 2 if n < 0x80 else pos + 3 if n == 0x81 else pos + 4 if n == 0x82 else 0
        if (
            not start
            or data[pos] != RESPONSE
            or (
                n
                if n < 0x80
                else data[pos + 2]
                if n == 0x81
                else data[pos + 2] << 8 | data[pos + 3]
            )
            != size - start
            or data[start] != _INTEGER
            or not 0 < data[start + 1] < 5
        ):
            return None
        pos = start + 2 + data[start + 1]
        request_id = _from_bytes(data[start + 2 : pos], "big", signed=True)
        status, index, n = data[pos + 2], data[pos + 5], data[pos + 7]
        start = pos + 8 if n < 0x80 else pos + 9 if n == 0x81 else pos + 10 if n == 0x82 else 0
        if (
            not start
            or data[pos] != _INTEGER
            or data[pos + 1] != 1
            or status >= 0x80
            or data[pos + 3] != _INTEGER
            or data[pos + 4] != 1
            or index >= 0x80
            or data[pos + 6] != _SEQUENCE
            or (
                n
                if n < 0x80
                else data[pos + 8]
                if n == 0x81
                else data[pos + 8] << 8 | data[pos + 9]
            )
            != size - start
        ):
            return None
    except IndexError:  # a short message: _full_head says what is wrong
        return None
    return Response(version, community, request_id, status, index, []), start


def _parse(data: bytes) -> Response:
    """Parse a whole message; may raise IndexError etc. on truncation (see parse_response)."""
    head, pos = _head(data)
    return head._replace(varbinds=_varbinds(data, pos, len(data)))


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


def parse_head(data: bytes) -> tuple[Response, int]:
    """Like parse_response, but the variable-bindings are left undecoded (and empty):
    also where their content starts (they run to the end of ``data``); see get_values."""
    try:
        return _head(data)
    except SnmpMalformed:
        raise
    except Exception as exc:
        raise SnmpMalformed(f"undecodable SNMP message: {type(exc).__name__}") from None


def parse_varbinds(data: bytes, pos: int) -> list[tuple[bytes, int, bytes]]:
    """The variable-bindings from ``pos`` (as given by parse_head) to the end of ``data``."""
    try:
        return _varbinds(data, pos, len(data))
    except SnmpMalformed:
        raise
    except Exception as exc:
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


def get_values(
    data: bytes, pos: int, tlvs: Sequence[bytes], names: Sequence[str]
) -> list[VarBind] | None:
    """VarBinds of a GET answer (variable-bindings from ``pos``, see parse_head) named ``names``.

    A Response repeats the requested names in order (RFC 3416 §4.2.1), so each OID is only
    compared with the TLV we sent, never decoded. None if any differs, or the count does
    (decode with parse_varbinds to say how); SnmpMalformed for a bad value.
    """
    try:
        return _get_values(data, pos, tlvs, names)
    except SnmpMalformed:
        raise
    except Exception as exc:  # IndexError on truncation, etc.
        raise SnmpMalformed(f"undecodable SNMP message: {type(exc).__name__}") from None


def _get_values(
    data: bytes, pos: int, tlvs: Sequence[bytes], names: Sequence[str]
) -> list[VarBind] | None:
    out: list[VarBind] = []
    append, end, starts, octets = out.append, len(data), data.startswith, render_octets
    for tlv, name in zip(tlvs, names, strict=True):
        if pos >= end or data[pos] != _SEQUENCE:
            return None
        n = data[pos + 1]
        if n < 0x80:
            start, stop = pos + 2, pos + 2 + n
        else:
            _, start, stop = _header(data, pos, end)
        if not starts(tlv, start):
            return None
        vpos = start + len(tlv)
        tag, n = data[vpos], data[vpos + 1]
        if n < 0x80:
            vstart, vend = vpos + 2, vpos + 2 + n
        else:
            _, vstart, vend = _header(data, vpos, stop)
        if vend != stop or stop > end:
            raise SnmpMalformed("variable-binding length mismatch")
        content = data[vstart:vend]
        if tag == _INTEGER and 0 < n < 5:
            append(
                _tuple_new(
                    VarBind, (name, "Integer", _from_bytes(content, "big", signed=True), None)
                )
            )
        elif tag == _OCTETS:
            append(_tuple_new(VarBind, (name, "OctetString", octets(content), content)))
        else:
            append(VarBind(name, *decode_value(tag, content)))
        pos = stop
    return out if pos == end else None


def to_varbinds(response: Response) -> list[VarBind]:
    """All variable-bindings of a parsed response as VarBinds."""
    return [VarBind(oid_str(o), *decode_value(t, c)) for o, t, c in response.varbinds]


def decode_response(data: bytes) -> tuple[int, int, int, list[VarBind]]:
    """(request_id, error_status, error_index, VarBinds) of a Response message."""
    response = parse_response(data)
    return response[2], response[3], response[4], to_varbinds(response)
