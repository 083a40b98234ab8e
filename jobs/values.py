"""Value rules: turn a returned SNMP value into the stored attribute (MAC/hex, metres, dBm)."""

from __future__ import annotations

import re

from snmp.client import VarBind

ATTRIBUTE_OF_KIND = {
    "description": "description",
    "serial": "serial",
    "mac": "mac",
    "plan": "plan",
    "distance": "distance_m",
    "onu_model": "onu_model",
    "subscriber": "subscriber",
    "name": "subscriber",  # ZTE zxGponOntName: the name the operator gave the ONU
    "rx_power": "rx_power_dbm",
    "tx_power": "tx_power_dbm",
}
_DBM_IN_TEXT = re.compile(r"(-?\d+(?:\.\d+)?)\s*dBm")


class ValueRuleError(ValueError):
    """The value cannot be converted for its kind."""


def _text(vb: VarBind, render_hex: bool) -> str | None:
    if vb.type != "OctetString":
        return None if vb.value is None else str(vb.value)
    raw = vb.raw or b""
    if render_hex:
        return raw.hex().upper()
    return str(vb.value).strip()


def _serial(vb: VarBind, render_hex: bool) -> str:
    """GPON serials are 4 ASCII vendor letters and 4 binary bytes: render HWTC1A2B3C4D."""
    raw = vb.raw or b""
    if len(raw) == 8 and raw[:4].isalpha() and raw[:4].isascii() and not render_hex:
        return raw[:4].decode() + raw[4:].hex().upper()
    return _text(vb, render_hex) or ""


def _power(vb: VarBind, profile_key: str | None) -> float | None:
    """Convert a power reading to dBm with the brand's scale; sentinels become None."""
    if vb.type == "OctetString":
        m = _DBM_IN_TEXT.search(str(vb.value))
        if m:
            return float(m.group(1))
        try:
            return float(str(vb.value).strip())
        except ValueError as exc:
            raise ValueRuleError(f"not a power value: {vb.value!r}") from exc
    if not isinstance(vb.value, int):
        raise ValueRuleError(f"not a power value: {vb.value!r}")
    raw = vb.value
    if profile_key == "zte":
        if raw == 65535:
            return None
        if raw > 30000:
            raw -= 65535
        return round(raw * 0.002 - 30, 2)
    if raw in (2147483647, -2147483648):
        return None
    return round(raw / 100, 2)  # Huawei, C-Data, FiberHome: hundredths of dBm


def convert(kind: str, vb: VarBind, profile_key: str | None, render_hex: bool):
    """Return the value to store for an attribute of this kind."""
    if kind == "distance":
        if not isinstance(vb.value, int):
            raise ValueRuleError(f"distance is not a number: {vb.value!r}")
        return None if vb.value < 0 else vb.value
    if kind in ("rx_power", "tx_power"):
        return _power(vb, profile_key)
    if kind == "serial":
        return _serial(vb, render_hex)
    if kind == "mac":
        return (
            _text(vb, True)
            if vb.type == "OctetString" and len(vb.raw or b"") == 6
            else _text(vb, render_hex)
        )
    return _text(vb, render_hex)
