"""Value rules: turn a raw SNMP value into the stored attribute (text, serial, MAC, metres, dBm)."""

from __future__ import annotations

import math
import operator
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import repeat

from snmp.client import EMPTY_TYPES, VarBind, render_octets

PARSERS = (
    "int",
    "text",
    "hex",
    "serial",
    "mac",
    "dbm_text",
    "decimal_text",
    "seconds",
    "timeticks",
    "date_and_time",
)
NUMERIC_TYPES = frozenset(
    {"Integer", "Integer32", "Gauge32", "Counter32", "Counter64", "Unsigned32", "TimeTicks"}
)
_DBM_IN_TEXT = re.compile(r"([-+]?(?:\d+(?:\.\d+)?|inf))\s*dBm", re.IGNORECASE)
_SERIAL_TEXT = re.compile(r"^(?:\d+,)?([A-Za-z0-9]{4})[-:]?([0-9A-Fa-f]{8})$")
_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_HEX16 = re.compile(r"[0-9A-Fa-f]{16}")
_TEXT_PARSERS = ("text", "hex", "serial", "mac")
_ASCII_CONTROLS = bytes(b for b in range(0x20) if b not in b"\t\r\n") + b"\x7f"

Value = int | float | str | datetime | None


class ValueRuleError(ValueError):
    """The value cannot be converted by its rule (wrong type, unparsable)."""


@dataclass(frozen=True)
class ValueRule:
    """How to turn one raw SNMP value into the stored attribute (data, not code).

    Numbers: ``sentinels`` (raw values meaning "no value") are checked first, then values above
    ``wrap_above`` get ``wrap_modulus`` subtracted (ZTE 16-bit wrap), then ``raw*scale+offset``,
    rounded to ``round_to`` digits; results outside ``valid_min``/``valid_max`` become None.
    """

    parse: str = "int"
    scale: float = 1
    offset: float = 0
    wrap_above: int | None = None
    wrap_modulus: int = 0
    sentinels: tuple[int | str, ...] = ()
    round_to: int | None = None
    valid_min: float | None = None
    valid_max: float | None = None

    def __post_init__(self) -> None:
        if self.parse not in PARSERS:
            raise ValueError(f"unknown value parser {self.parse!r}; known: {PARSERS}")
        if self.wrap_above is not None and self.wrap_modulus <= 0:
            raise ValueError("wrap_above needs a positive wrap_modulus")


def _octets(vb: VarBind) -> bytes:
    """The raw octets of an OctetString varbind; ValueRuleError for other types."""
    if vb.type not in ("OctetString", "Opaque"):
        raise ValueRuleError(f"expected an OctetString, got {vb.type} {vb.value!r}")
    if vb.raw is not None:
        return bytes(vb.raw)
    if isinstance(vb.value, str):
        return vb.value.encode("utf-8", "surrogateescape")
    raise ValueRuleError(f"OctetString without octets: {vb.value!r}")


def decode_text(raw: bytes) -> str:
    """Octets as text: UTF-8, else Windows-1252/Latin-1 (as many OLTs store descriptions), else hex.

    "José Pérez" typed on a Latin-1 terminal reaches us as b"Jos\\xe9 P\\xe9rez", which is not
    UTF-8; octets with ASCII control characters are binary and stay hex.
    """
    text = render_octets(raw)
    if raw and text == raw.hex().upper() and len(raw.translate(None, _ASCII_CONTROLS)) == len(raw):
        for codec in ("cp1252", "latin-1"):
            try:
                decoded = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if all(ch.isprintable() or ch in "\t\r\n" for ch in decoded):
                return decoded
    return text


def _text(vb: VarBind) -> str:
    """Printable text (UTF-8, Windows-1252, else hex) without padding or trailing NULs."""
    if vb.type in NUMERIC_TYPES and isinstance(vb.value, int) and not isinstance(vb.value, bool):
        return str(vb.value)
    if vb.type in ("IpAddress", "ObjectIdentifier") and isinstance(vb.value, str):
        return vb.value
    return decode_text(_octets(vb).rstrip(b"\x00")).strip()


def _serial(vb: VarBind) -> str:
    """GPON serial: 4 ASCII vendor bytes + 4 binary bytes -> "HWTC1A2B3C4D"."""
    raw = _octets(vb)
    if len(raw) == 8 and raw[:4].isascii() and raw[:4].isalnum():
        return raw[:4].decode() + raw[4:].hex().upper()
    text = render_octets(raw.rstrip(b"\x00")).strip()
    if _HEX16.fullmatch(text):
        vendor = bytes.fromhex(text[:8])
        if vendor.isascii() and vendor.isalnum():
            return vendor.decode() + text[8:].upper()
    m = _SERIAL_TEXT.match(text)  # "ZTEGC0A1B2C3", "1,ZTEGC0A1B2C3", "FHTT-1a2b3c4d"
    return f"{m.group(1)}{m.group(2).upper()}" if m else text


def _mac(vb: VarBind) -> str:
    """6 octets -> "AA:BB:CC:DD:EE:FF"; MAC-looking text is normalised, else kept as given."""
    raw = _octets(vb) if vb.type == "OctetString" else b""
    if len(raw) == 6:
        return ":".join(f"{b:02X}" for b in raw)
    text = _text(vb)
    digits = re.sub(r"[\s:.\-]", "", text)
    if _MAC_HEX.fullmatch(digits):
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()
    return text


def _number_text(vb: VarBind, rule: ValueRule) -> float | None:
    """The number in a dBm/decimal string; None when empty or a sentinel text."""
    text = render_octets(_octets(vb).rstrip(b"\x00")).strip()
    if not text or text in rule.sentinels:
        return None
    m = _DBM_IN_TEXT.search(text) if rule.parse == "dbm_text" else None
    try:
        return float(m.group(1) if m else text)
    except ValueError:
        raise ValueRuleError(f"not a decimal value: {text!r}") from None


_DURATION = re.compile(
    r"(?:(?P<d>\d+)\s*d(?:ays?)?[,\s]*)?(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2})(?:\.\d+)?"
)


def _seconds(vb: VarBind, rule: ValueRule) -> int | float | None:
    """Seconds from an integer (TimeTicks are hundredths) or a text such as "1d 02:03:04"."""
    if vb.type == "TimeTicks" and type(vb.value) is int:
        return vb.value / 100 if rule.parse == "seconds" else vb.value
    if vb.type in NUMERIC_TYPES and type(vb.value) is int:
        return vb.value
    text = _text(vb) if vb.type == "OctetString" else None
    if not text or text in rule.sentinels:
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    m = _DURATION.fullmatch(text)
    if m is None:
        raise ValueRuleError(f"not a duration: {text!r}")
    days = int(m.group("d") or 0)
    return ((days * 24 + int(m.group("h"))) * 60 + int(m.group("m"))) * 60 + int(m.group("s"))


def date_and_time(raw: bytes) -> datetime | None:
    """RFC 2579 DateAndTime (8 or 11 octets); None for the all-zero value.

    The 11-octet form gives an aware datetime in UTC; the 8-octet form carries no zone and
    gives a naive one, in the OLT's clock (the caller knows which zone that is).
    """
    if len(raw) not in (8, 11):
        raise ValueRuleError(f"DateAndTime needs 8 or 11 octets, got {len(raw)}")
    year = int.from_bytes(raw[:2], "big")
    month, day, hour, minute, second, deci = raw[2:8]
    if year == 0 or month == 0:
        return None
    tz = None
    if len(raw) == 11:
        sign = {43: 1, 45: -1}.get(raw[8])  # '+' / '-'
        if sign is None or raw[9] > 14 or raw[10] > 59:
            raise ValueRuleError("DateAndTime has an invalid time zone")
        tz = timezone(sign * timedelta(hours=raw[9], minutes=raw[10]))
    try:
        when = datetime(year, month, day, hour, minute, min(second, 59), deci * 100_000, tz)
    except ValueError as exc:
        raise ValueRuleError(f"DateAndTime is not a date: {exc}") from None
    return when if tz is None else when.astimezone(UTC)


_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/]\s*(\d{1,2})\s*[-/]\s*(\d{1,2})[\sT,]+(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?"
)


def _date(vb: VarBind, rule: ValueRule) -> datetime | None:
    """A DateAndTime, or a date written as text ("2025/06/24 17:45:21"): naive unless zoned."""
    raw = _octets(vb)
    text = raw.decode("ascii", "replace").strip()
    if not text.strip("\x00") or text in rule.sentinels:
        return None
    m = _DATE_TEXT.fullmatch(text)
    if m is None:
        return date_and_time(raw)
    parts = [int(x) for x in m.groups()]
    if parts[0] == 0:
        return None
    try:
        return datetime(*parts)
    except ValueError as exc:
        raise ValueRuleError(f"not a date: {exc}") from None


def _raw_number(vb: VarBind, rule: ValueRule) -> float | int | None:
    """The raw number of a varbind for the numeric parsers."""
    if rule.parse in ("seconds", "timeticks"):
        return _seconds(vb, rule)
    if rule.parse == "int":
        if vb.type in NUMERIC_TYPES and type(vb.value) is int:
            return vb.value
        text = _text(vb) if vb.type == "OctetString" else None
        if text is not None and re.fullmatch(r"-?\d+", text):
            return int(text)
        raise ValueRuleError(f"expected an integer, got {vb.type} {vb.value!r}")
    return _number_text(vb, rule)


def _scaled(rule: ValueRule, raw: int | float) -> Value:
    """Apply wrap, scale, offset, rounding and the valid range to a raw number."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    if rule.wrap_above is not None and raw > rule.wrap_above:
        raw -= rule.wrap_modulus
    try:
        value = raw * rule.scale + rule.offset
    except OverflowError:
        raise ValueRuleError("value is out of range for its scale") from None
    if rule.round_to is not None:
        value = round(value, rule.round_to)
    if rule.valid_min is not None and value < rule.valid_min:
        return None
    if rule.valid_max is not None and value > rule.valid_max:
        return None
    return value


def int_converter(rule: ValueRule) -> Callable[[int], Value] | None:
    """What apply_rule gives for an Integer varbind, as a function of its int (None: the rule
    does not parse integers). Built once per column: the per-row calls of apply_rule were
    most of a poll's conversion time. May raise OverflowError (apply_rule's ValueRuleError).
    """
    if rule.parse != "int":
        return None
    sentinels, low, high = frozenset(rule.sentinels), rule.valid_min, rule.valid_max
    wrap, modulus, scale, offset, digits = (
        rule.wrap_above, rule.wrap_modulus, rule.scale, rule.offset, rule.round_to
    )  # fmt: skip
    plain = scale == 1 and not offset and wrap is None

    def convert(raw: int) -> Value:
        if raw in sentinels:
            return None
        if plain:
            value = raw
        else:
            if wrap is not None and raw > wrap:
                raw -= modulus
            value = raw * scale + offset
            if digits is not None:
                value = round(value, digits)
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return value

    return convert


def int_column(rule: ValueRule) -> Callable[[list[int]], list[Value]] | None:
    """int_converter of a whole column of ints at once (None: the rule does not parse
    integers): scale, offset and rounding mapped in C over the column, sentinels set to None
    after; a column that needs a wrap or has a value outside the valid range goes through
    int_converter row by row (so does the rest of that column). May raise OverflowError.
    """
    convert = int_converter(rule)
    if convert is None:
        return None
    sentinels, low, high = frozenset(rule.sentinels), rule.valid_min, rule.valid_max
    wrap, scale, offset, digits = rule.wrap_above, rule.scale, rule.offset, rule.round_to
    plain = scale == 1 and not offset and wrap is None

    def column(raws: list[int]) -> list[Value]:
        if not raws or (wrap is not None and max(raws) > wrap):
            return list(map(convert, raws))
        if plain:
            values = list(raws)
        else:  # as convert: raw * scale + offset, then round (the same operations, in C)
            scaled = map(operator.add, map(operator.mul, raws, repeat(scale)), repeat(offset))
            values = list(scaled if digits is None else map(round, scaled, repeat(digits)))
        present = values
        if sentinels and not sentinels.isdisjoint(raws):
            values = [None if r in sentinels else v for r, v in zip(raws, values, strict=True)]
            present = [v for v in values if v is not None]
        if present and (
            (low is not None and min(present) < low) or (high is not None and max(present) > high)
        ):
            return list(map(convert, raws))
        return values

    return column


SLOW = object()  # what an octets converter gives for octets it leaves to apply_rule
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\t\r\n"  # snmp.codec's plain text


def octets_converter(rule: ValueRule) -> Callable[[bytes], Value] | None:
    """What apply_rule gives for an OctetString varbind, as a function of its octets, for the
    common octets of a text, serial or date column: plain ASCII text, an 8-octet GPON serial,
    a DateAndTime; SLOW
    for any other octets (apply_rule then decides). None: the rule parses no text. Built once
    per column, as int_converter: a poll converts several text columns of every ONU.
    """
    sentinels = frozenset(rule.sentinels)
    if rule.parse == "text":

        def text(raw: bytes) -> Value:
            raw = raw.rstrip(b"\x00")
            if raw.translate(None, _PLAIN_ASCII):
                return SLOW  # not plain ASCII: decode_text's checks
            value = raw.decode("ascii").strip()
            return None if value in sentinels else (value or None)

        return text
    if rule.parse == "serial":

        def serial(raw: bytes) -> Value:
            vendor = raw[:4]
            if len(raw) != 8 or not (vendor.isascii() and vendor.isalnum()):
                return SLOW
            value = vendor.decode() + raw[4:].hex().upper()
            return None if value in sentinels else value

        return serial
    if rule.parse == "date_and_time":
        zones: dict[bytes, timezone] = {}  # by the three octets that say it

        def when(raw: bytes) -> Value:
            # _date's text checks, then date_and_time (no text date is as short as 11 octets);
            # anything odd is left to apply_rule
            size = len(raw)
            if size != 8 and size != 11:
                return SLOW
            text = raw.decode("ascii", "replace").strip()
            if not text.strip("\x00") or text in sentinels:
                return None
            year, (month, day, hour, minute, second, deci) = (raw[0] << 8) | raw[1], raw[2:8]
            if year == 0 or month == 0:
                return None
            tz = None
            if size == 11:
                tz = zones.get(raw[8:])
                if tz is None:
                    tz = _zone(raw[8:])
                    if tz is None:
                        return SLOW
                    zones[raw[8:]] = tz
            try:
                when = datetime(year, month, day, hour, minute, min(second, 59), deci * 100_000, tz)
            except ValueError:
                return SLOW
            return when if tz is None else when.astimezone(UTC)

        return when
    return None


def octets_column(rule: ValueRule) -> Callable[[list[bytes]], list[Value]] | None:
    """octets_converter of a whole column of octets at once (SLOW where it gives SLOW; None:
    the rule parses no text). Columns of the usual octets (plain ASCII text; 8 octets with an
    alphanumeric vendor; DateAndTimes of one size) are converted by maps in C; the odd values
    of a text column, and every value of any other column, row by row."""
    convert = octets_converter(rule)
    if convert is None:
        return None
    sentinels = frozenset(rule.sentinels)

    def text(raws: list[bytes]) -> list[Value]:
        stripped = list(map(bytes.rstrip, raws, repeat(b"\x00")))
        if b"".join(stripped).translate(None, _PLAIN_ASCII):  # some are not plain ASCII:
            odd = map(bytes.translate, stripped, repeat(None), repeat(_PLAIN_ASCII))
            values = [  # those row by row (SLOW, or a value), the others as below
                convert(raw) if o else s.decode("ascii").strip()
                for raw, s, o in zip(raws, stripped, odd, strict=True)
            ]
        else:
            values = list(map(str.strip, map(bytes.decode, stripped, repeat("ascii"))))
        if "" in values or not sentinels.isdisjoint(values):
            values = [None if v in sentinels else (v or None) for v in values]
        return values

    def serial(raws: list[bytes]) -> list[Value]:
        vendors = list(map(bytes.__getitem__, raws, repeat(slice(0, 4))))
        joined = b"".join(vendors)
        if set(map(len, raws)) != {8} or not (joined.isascii() and joined.isalnum()):
            return list(map(convert, raws))
        tails = map(bytes.hex, map(bytes.__getitem__, raws, repeat(slice(4, 8))))
        values = list(map(str.__add__, map(bytes.decode, vendors), map(str.upper, tails)))
        if not sentinels.isdisjoint(values):
            values = [None if v in sentinels else v for v in values]
        return values

    def dates(raws: list[bytes]) -> list[Value]:
        sizes = set(map(len, raws))
        if sentinels or sizes not in ({8}, {11}):
            return list(map(convert, raws))
        # convert()'s text check (octets that are only white space and NULs are no date, even
        # "\t\n\t\t\t\t\t\t", which reads as 2314-09-09), then fields out of range (year or
        # month 0: no date; others SLOW; datetime() raises for both): row by row
        if not all(map(bytes.translate, raws, repeat(None), repeat(_BLANK_OCTETS))):
            return list(map(convert, raws))
        fields = map(_DATE_FIELDS.unpack_from, raws)
        year, month, day, hour, minute, second, deci = zip(*fields, strict=True)
        zones: list = [None] * len(raws)
        if sizes == {11}:
            tails = list(map(bytes.__getitem__, raws, repeat(slice(8, 11))))
            known = {tail: _zone(tail) for tail in set(tails)}
            if None in known.values():
                return list(map(convert, raws))
            zones = list(map(known.__getitem__, tails))
        second = map(min, second, repeat(59))
        micro = map(operator.mul, deci, repeat(100_000))
        try:
            values = list(map(datetime, year, month, day, hour, minute, second, micro, zones))
        except ValueError:
            return list(map(convert, raws))
        return values if sizes == {8} else list(map(datetime.astimezone, values, repeat(UTC)))

    return {"text": text, "serial": serial, "date_and_time": dates}.get(
        rule.parse, lambda raws: list(map(convert, raws))
    )


_DATE_FIELDS = struct.Struct(">HBBBBBB")  # DateAndTime's first 8 octets
# octets str.strip() takes for white space (after an ASCII decoding), and NUL
_BLANK_OCTETS = b"\x00\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "


def _zone(octets: bytes) -> timezone | None:
    """The zone of DateAndTime's last 3 octets (None: odd, left to apply_rule)."""
    sign = {43: 1, 45: -1}.get(octets[0])
    if sign is None or octets[1] > 14 or octets[2] > 59:
        return None
    return timezone(sign * timedelta(hours=octets[1], minutes=octets[2]))


def apply_rule(rule: ValueRule, vb: VarBind) -> Value:
    """Convert one varbind with its rule; None means "no value"; ValueRuleError on garbage."""
    try:
        return _apply(rule, vb)
    except ValueRuleError:
        raise
    except (ValueError, OverflowError) as exc:  # e.g. ints beyond Python's str conversion limit
        raise ValueRuleError(f"cannot convert {vb.type} value: {exc}") from None


def _apply(rule: ValueRule, vb: VarBind) -> Value:
    """apply_rule without the error translation."""
    if vb.type == "Integer" and rule.parse == "int" and type(vb.value) is int:
        # the hot path of a poll: an Integer32 column (states, powers, distances)
        raw = vb.value
        if raw in rule.sentinels:
            return None
        if rule.scale == 1 and not rule.offset and rule.wrap_above is None:
            if rule.valid_min is not None and raw < rule.valid_min:
                return None
            if rule.valid_max is not None and raw > rule.valid_max:
                return None
            return raw
        return _scaled(rule, raw)
    if vb.type in EMPTY_TYPES:
        return None
    if rule.parse in _TEXT_PARSERS:
        if rule.parse == "hex":
            return _octets(vb).hex().upper() or None
        text = {"text": _text, "serial": _serial, "mac": _mac}[rule.parse](vb)
        return None if text in rule.sentinels else (text or None)
    if rule.parse == "date_and_time":
        return _date(vb, rule)
    raw = _raw_number(vb, rule)
    if raw is None or raw in rule.sentinels:
        return None
    return _scaled(rule, raw)
