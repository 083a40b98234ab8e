"""Client CPU per value decoding one 50-varbind GETBULK response: snmp.codec vs pyasn1/pysnmp.

Run: .venv/bin/python bench/snmp_codec_micro.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyasn1.codec.ber import decoder, encoder  # noqa: E402
from pysnmp.proto.api import v2c  # noqa: E402

from snmp import codec  # noqa: E402
from snmp.client import to_varbind  # noqa: E402
from snmp.column import Column, varbind_starts  # noqa: E402
from snmp.walk import _consume  # noqa: E402

BASE = "1.3.6.1.4.1.2011.6.128.1.1.2"
COLUMNS = [f"{BASE}.46.1.15", f"{BASE}.43.1.3", f"{BASE}.43.1.9", f"{BASE}.45.1.4"]
COLUMNS += [f"{BASE}.46.1.20", f"{BASE}.51.1.4"]


def _value(column: int, onu: int) -> object:
    """Huawei-shaped values: state, binary serial, text, model, distance, power."""
    return [
        v2c.Integer(1),
        v2c.OctetString(b"HWTC" + onu.to_bytes(4, "big")),
        v2c.OctetString(f"customer {onu} street".encode()),
        v2c.OctetString(b"HG8245H"),
        v2c.Integer(1000 + onu),
        v2c.Integer(-2150 - onu),
    ][column]


def response(varbinds: int = 50) -> bytes:
    """A Response with ``varbinds`` values, row by row over the six columns."""
    pairs = []
    for n in range(varbinds):
        onu, column = divmod(n, len(COLUMNS))
        oid = f"{COLUMNS[column]}.{4194312192 + 256 * (onu // 32)}.{onu % 32}"
        pairs.append((v2c.ObjectIdentifier(oid), _value(column, onu)))
    pdu = v2c.GetResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, 4242)
    v2c.apiPDU.set_varbinds(pdu, pairs)
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, "public")
    v2c.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def per_value(func: object, data: bytes, values: int, seconds: float = 1.0) -> float:
    """Process CPU µs per value, best of 3 runs of about ``seconds``."""
    best = float("inf")
    for _ in range(3):
        rounds, start = 0, time.process_time()
        while time.process_time() - start < seconds:
            func(data)  # type: ignore[operator]
            rounds += 1
        best = min(best, (time.process_time() - start) / rounds / values * 1e6)
    return best


_WALK = [Column(c) for c in COLUMNS]  # built once per walk, not per response


def ours_walk(data: bytes) -> None:
    """What a walk does per response: the header, the varbinds' offsets, rows per column."""
    for column in _WALK:
        column.last, column.rows = (), []
    _response, pos = codec.parse_head(data)
    _consume(_WALK, data, varbind_starts(data, pos))


def pyasn1_decode(data: bytes) -> None:
    """pysnmp's path: pyasn1 BER decode of the message, then our VarBind conversion."""
    msg, _ = decoder.decode(data, asn1Spec=v2c.Message())
    for name, value in v2c.apiPDU.get_varbinds(v2c.apiMessage.get_pdu(msg)):
        to_varbind(name, value)


def main() -> None:
    """Print µs of CPU per value for each decoder."""
    data = response()
    print(f"50-varbind GETBULK response, {len(data)} octets; CPU per value:")
    results = {
        "snmp.codec decode_response": per_value(codec.decode_response, data, 50),
        "snmp.codec walk path (snmp.column)": per_value(ours_walk, data, 50),
        "pyasn1 decode + to_varbind": per_value(pyasn1_decode, data, 50, seconds=2),
    }
    for name, micros in results.items():
        print(f"  {name:38s} {micros:8.2f} µs")
    ratio = results["pyasn1 decode + to_varbind"] / results["snmp.codec walk path (snmp.column)"]
    print(f"  gain: {ratio:.0f}x less CPU per value")


if __name__ == "__main__":
    main()
