"""A hostile SNMPv1/v2c agent on 127.0.0.1: every walk goes on for ever, every value is 2.5 KB.

It answers GETBULK and GETNEXT with rows of ever-increasing OIDs inside the requested subtree
(``name.MARK.1``, then ``.2``, ``.3``…) whose values are 2.5 KB binary OctetStrings (the
costliest to keep: their octets and their hex text), as many as fit in a 60 KB datagram, and
GETs with a 2.5 KB string for each name (tooBig when they do not fit), whatever the community.
A looping or broken OLT, as issue 9 met one. It runs in a thread, so a worker process can poll
it like any OLT.

Replies are encoded here by hand (a few lines of BER) rather than with pyasn1, which would
make the agent, not the client, the bottleneck; requests are decoded with pyasn1.
"""

from __future__ import annotations

import socket
import threading

from pyasn1.codec.ber import decoder
from pysnmp.proto.api import v2c

MARK = 424242  # the arc after the requested name where the endless rows start
VALUE = bytes(range(256)) * 9 + bytes(196)  # 2.5 KB, not text: kept as octets and as hex
DATAGRAM = 60_000  # a reply stays under this many octets (UDP allows 65,507)


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes((value.bit_length() + 8) // 8 or 1, "big", signed=True))


def _oid(arcs: tuple[int, ...]) -> bytes:
    out = bytearray((arcs[0] * 40 + arcs[1],))
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _varbind(arcs: tuple[int, ...], value: bytes) -> bytes:
    return _tlv(0x30, _oid(arcs) + _tlv(0x04, value))


def next_name(name: tuple[int, ...]) -> tuple[int, ...]:
    """The row after ``name``: the next one of the endless table below it."""
    if len(name) > 2 and name[-2] == MARK:
        return name[:-1] + (name[-1] + 1,)
    return name + (MARK, 1)


def response(version: int, community: bytes, request_id: int, varbinds: list[bytes], status=0):
    """A Response message (version and community echoed, as agents do)."""
    pdu = _int(request_id) + _int(status) + _int(0) + _tlv(0x30, b"".join(varbinds))
    return _tlv(0x30, _int(version) + _tlv(0x04, community) + _tlv(0xA2, pdu))


def answer(data: bytes) -> bytes | None:
    """The hostile reply to one request datagram."""
    msg, _ = decoder.decode(data, asn1Spec=v2c.Message())
    version, community = int(msg["version"]), bytes(msg["community"])
    pdu = v2c.apiMessage.get_pdu(msg)
    kind = type(pdu).__name__
    request_id = int(v2c.apiPDU.get_request_id(pdu))
    names = [tuple(n) for n, _ in v2c.apiPDU.get_varbinds(pdu)]
    out, size = [], 100
    if kind == "GetRequestPDU":
        out = [_varbind(n, VALUE) for n in names]
        if sum(map(len, out)) > DATAGRAM:  # RFC 3416 §4.2.1
            return response(version, community, request_id, [], status=1)
        return response(version, community, request_id, out)
    bulk = kind == "GetBulkRequestPDU"
    repetitions = int(v2c.apiBulkPDU.get_max_repetitions(pdu)) if bulk else 1
    current = list(names)
    for _ in range(max(1, repetitions)):
        for i, name in enumerate(current):
            current[i] = next_name(name)
            row = _varbind(current[i], VALUE)
            if size + len(row) > DATAGRAM:
                return response(version, community, request_id, out)
            out.append(row)
            size += len(row)
    return response(version, community, request_id, out)


class HostileAgent:
    """The hostile agent on a free UDP port of 127.0.0.1, in a thread (a context manager)."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.sent = 0  # octets of replies
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hostile-agent", daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = answer(data)
            except Exception:  # not an SNMP request we understand: ignore it, as agents do
                continue
            self.requests += 1
            if reply is not None:
                self.sent += len(reply)
                self.sock.sendto(reply, addr)

    def __enter__(self) -> HostileAgent:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
