"""Decode vendor raw SNMP table indexes into frame/slot/port/ONU positions."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import NamedTuple

MODES = ("linear", "bitshift", "ifname", "string")
IFNAME_OID = "1.3.6.1.2.1.31.1.1.1.1"  # IF-MIB ifName, the map the "ifname" mode decodes with
IFDESCR_OID = "1.3.6.1.2.1.2.2.1.2"  # IF-MIB ifDescr: tried where ifName is not a PON name
_PORT_NAME = re.compile(
    r"(?P<prefix>[A-Za-z0-9][A-Za-z0-9_\- ]*?)[\s_\-]*(?P<nums>\d+(?:/\d+){1,2})(?::(?P<onu>\d+))?"
)
# V-SOL V1600GS names its ONU interfaces "GPON01ONU1" (PON 1, ONU 1)
_PON_ONU_NAME = re.compile(r"(?P<prefix>[A-Za-z]*PON)(?P<port>\d+)ONU(?P<onu>\d+)", re.IGNORECASE)


class NotAnOnu(ValueError):
    """The row is not an ONU: a PON port, an uplink or another interface."""


@dataclass(frozen=True)
class IndexFormula:
    """How a brand packs frame/slot/port (and maybe the ONU) into a table index.

    linear:   port_index - base = slot*step_slot + port*step_port (+ onu remainder)
    bitshift: field = (port_index >> shift) & mask; mask 0 means the field is absent (0);
              ``base`` holds constant bits OR-ed in when encoding (ZTE type nibble);
              ``mask_onu`` packs the ONU in the integer too (FiberHome, C-Data), 0 = port level.
    ifname:   the integer is an ifIndex whose IF-MIB ifName ("GPON 0/1/3", "GPON0/2:5") is parsed.
    string:   the index is an OCTET STRING (length-prefixed, or IMPLIED) naming the ONU, such as
              its serial (Ubiquiti UFiber): no position, the text is the ONU's identity.
    ``*_offset`` are added to the decoded fields (vendor numbering fixes).
    """

    mode: str = "linear"
    base: int = 0
    step_slot: int = 0
    step_port: int = 0
    shift_frame: int = 0
    mask_frame: int = 0
    shift_slot: int = 0
    mask_slot: int = 0
    shift_port: int = 0
    mask_port: int = 0
    frame_offset: int = 0
    onu_from_dot: bool = True
    onu_offset: int = 0
    shift_onu: int = 0
    mask_onu: int = 0
    slot_offset: int = 0
    port_offset: int = 0


class DecodedIndex(NamedTuple):
    """A decoded position; ``onu_id`` is None for port-level indexes.

    ``key`` is set instead of a position by tables indexed by a name (the "string" mode).
    A named tuple (immutable and hashable, as a frozen dataclass would be): a poll decodes
    one per ONU, and a tuple is made in C where a frozen dataclass sets each field in Python.
    """

    frame: int | None
    slot: int | None
    port: int | None
    onu_id: int | None
    key: str | None = None

    @property
    def name(self) -> str:
        """Render as "frame/slot/port:onu" or "frame/slot/port" (or the key)."""
        if self.key is not None:
            return self.key
        pos = f"{self.frame}/{self.slot}/{self.port}"
        return pos if self.onu_id is None else f"{pos}:{self.onu_id}"

    @property
    def is_onu(self) -> bool:
        """True for an ONU (an ONU id or a key), False for a PON port or other row."""
        return self.key is not None or self.onu_id is not None


_new_decoded = tuple.__new__  # DecodedIndex of its five fields, without its __new__ in Python


def _split(raw_index: str) -> tuple[int, list[int]]:
    """Split "123.4.5" into (123, [4, 5]); ValueError on anything but dotted digits."""
    text = (raw_index or "").strip()
    if not text:
        raise ValueError("empty index")
    parts = text.split(".")
    if not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"index {text!r} is not a dotted list of non-negative integers")
    return int(parts[0]), [int(p) for p in parts[1:]]


def _decode_linear(f: IndexFormula, value: int) -> tuple[int, int, int, int]:
    """Return (frame, slot, port, remainder) for linear mode."""
    delta = value - f.base
    slot, rest = divmod(delta, f.step_slot) if f.step_slot else (0, delta)
    port, rem = divmod(rest, f.step_port) if f.step_port else (0, 0)
    return f.frame_offset, slot, port, rem


def _field(value: int, shift: int, mask: int) -> int:
    """Extract a bit field; mask 0 means the field is absent."""
    return (value >> shift) & mask if mask else 0


def parse_onu_name(name: str) -> tuple[int, int, int, int | None]:
    """Parse "GPON 0/1/3", "gpon-olt_1/2/1", "EPON0/1", "GPON0/2:5" to (frame, slot, port, onu).

    Also V-SOL's "GPON01ONU1" (frame 0, slot 0, PON 1, ONU 1). NotAnOnu (a ValueError) for
    names that are not PON ports or ONU interfaces ("GigaEthernet0/1", "lo").
    """
    text = (name or "").strip()
    m2 = _PON_ONU_NAME.fullmatch(text)
    if m2 is not None:
        return 0, 0, int(m2.group("port")), int(m2.group("onu"))
    m = _PORT_NAME.fullmatch(text)
    if m is None or "pon" not in m.group("prefix").lower():
        raise NotAnOnu(f"{name!r} is not a PON port or ONU interface name")
    nums = [int(n) for n in m.group("nums").split("/")]
    frame, slot, port = nums if len(nums) == 3 else [0, *nums]
    onu = m.group("onu")
    return frame, slot, port, None if onu is None else int(onu)


def parse_port_name(name: str) -> tuple[int, int, int]:
    """(frame, slot, port) of a PON port or ONU interface name; two numbers mean frame 0."""
    frame, slot, port, _ = parse_onu_name(name)
    return frame, slot, port


def _decode_ifname(
    f: IndexFormula, value: int, ifnames: dict[int, str | tuple[str, ...]] | None
) -> tuple[int, int, int, int | None]:
    """Look the ifIndex up in the name map (ifName, then ifDescr) and parse the first PON name."""
    if ifnames is None:
        raise ValueError("the ifname formula needs the IF-MIB ifName map (ifIndex -> name)")
    if value not in ifnames:
        raise ValueError(f"ifIndex {value} has no ifName")
    names = ifnames[value]
    error: ValueError | None = None
    for name in (names,) if isinstance(names, str) else names:
        try:
            frame, slot, port, onu = parse_onu_name(name)
        except ValueError as exc:
            error = error or exc
            continue
        return frame + f.frame_offset, slot, port, onu
    raise error or NotAnOnu(f"ifIndex {value} has no name")


def decode_string(raw_index: str) -> str:
    """An OCTET STRING index as text: "12.85.66.78.84..." (length first) or IMPLIED octets."""
    parts = (raw_index or "").strip().split(".")
    if not parts or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"index {raw_index!r} is not a dotted list of non-negative integers")
    arcs = [int(p) for p in parts]
    if arcs[0] == len(arcs) - 1:
        arcs = arcs[1:]  # length-prefixed (a non-IMPLIED index)
    if not arcs or any(a > 255 for a in arcs):
        raise ValueError(f"index {raw_index!r} is not an octet string")
    octets = bytes(arcs)
    if any(b < 0x20 or b > 0x7E for b in octets):
        return octets.hex().upper()
    return octets.decode("ascii")


def _decode_value(
    f: IndexFormula, value: int, ifnames: dict[int, str] | None
) -> tuple[int, int, int, int | None]:
    """(frame, slot, port, onu or None) from the integer part, before offsets on slot/port."""
    if f.mode == "ifname":
        return _decode_ifname(f, value, ifnames)
    if f.mode == "linear":
        frame, slot, port, rem = _decode_linear(f, value)
        return frame, slot, port, rem or None
    frame = _field(value, f.shift_frame, f.mask_frame) + f.frame_offset
    onu = _field(value, f.shift_onu, f.mask_onu)
    slot, port = _field(value, f.shift_slot, f.mask_slot), _field(value, f.shift_port, f.mask_port)
    return frame, slot, port, onu or None


def decode_index(
    formula: IndexFormula, raw_index: str, ifnames: dict[int, str] | None = None
) -> DecodedIndex:
    """Decode a raw index such as "4194312448.2"; ValueError on bad input.

    ``ifnames`` (ifIndex -> IF-MIB ifName) is needed only by the "ifname" mode.
    """
    if formula.mode not in MODES:
        raise ValueError(f"unknown index formula mode {formula.mode!r}")
    if formula.mode == "string":
        return DecodedIndex(None, None, None, None, key=decode_string(raw_index))
    value, tail = _split(raw_index)
    if value < formula.base:
        raise ValueError(f"index {raw_index!r} is below the formula base {formula.base}")
    frame, slot, port, onu_id = _decode_value(formula, value, ifnames)
    if formula.onu_from_dot and tail:
        onu_id = tail[0]
    if onu_id is not None:
        onu_id += formula.onu_offset
    return DecodedIndex(
        frame=frame, slot=slot + formula.slot_offset, port=port + formula.port_offset, onu_id=onu_id
    )


def index_decoder(
    formula: IndexFormula, ifnames: dict[int, str] | None = None
) -> Callable[[str], DecodedIndex]:
    """decode_index for one formula and name map, for the indexes of a whole table.

    The ONUs of a PON share their index's integer part ("4194312448.2"): its fields are
    decoded once per PON rather than once per ONU (decoding was most of a poll's store
    time). Indexes of another shape, and any that fail, go through decode_index itself.
    """
    if formula.mode not in ("linear", "bitshift", "ifname"):
        return lambda raw: decode_index(formula, raw, ifnames)
    heads: dict[str, tuple] = {}  # integer part -> (frame, slot, port, ONU or None)
    from_dot, onu_offset = formula.onu_from_dot, formula.onu_offset
    slot_offset, port_offset = formula.slot_offset, formula.port_offset

    def decode(raw: str) -> DecodedIndex:
        head, dot, tail = raw.partition(".")
        fields = heads.get(head)
        if fields is None or (dot and not (tail.isdigit() and tail.isascii())):
            decoded = decode_index(formula, raw, ifnames)  # raises for a bad index
            if fields is None and head.isdigit() and head.isascii():
                value = int(head)  # as decode_index checks and decodes it:
                heads[head] = _decode_value(formula, value, ifnames)
            return decoded
        frame, slot, port, onu_id = fields
        if from_dot and dot:
            onu_id = int(tail)
        if onu_id is not None:
            onu_id += onu_offset
        return _new_decoded(
            DecodedIndex, (frame, slot + slot_offset, port + port_offset, onu_id, None)
        )

    def column(raws: list[str]) -> tuple[list[DecodedIndex], list[str]] | None:
        """(decoded, position) of every index of a column whose indexes are all
        "<integer part>.<ONU>", with the integer part decoded once per PON and the rest done
        by maps in C; None when any index is of another shape or does not decode (decode
        each, then: it has the errors)."""
        if not from_dot or not raws:
            return None
        parts = list(map(str.partition, raws, repeat(".")))
        tails = list(map(_THIRD, parts))
        joined = "".join(tails)  # (each tail non-empty: its characters are the joined ones)
        if not (all(tails) and joined.isascii() and joined.isdigit()):
            return None  # "٣", "7.9", "x": left to decode
        # "05" (decode's name says 5) is left to decode too; "0" is an ONU id like any
        if tails.count("0") != sum(map(str.startswith, tails, repeat("0"))):
            return None
        onus = list(map(int, tails))
        integer_parts = list(map(_FIRST, parts))
        fields, prefixes = {}, {}
        for head, raw in dict(zip(integer_parts, raws, strict=True)).items():
            try:
                decode(raw)  # (caches the integer part's fields, or raises)
            except ValueError:
                return None
            if head not in heads:
                return None
            frame, slot, port, _onu = heads[head]
            fields[head] = (frame, slot + slot_offset, port + port_offset)
            prefixes[head] = f"{frame}/{slot + slot_offset}/{port + port_offset}:"
        shown = tails  # (the ONU ids as text: the indexes' own, unless offset)
        if onu_offset:
            onus = list(map(operator.add, onus, repeat(onu_offset)))
            shown = map(str, onus)
        names = list(map(operator.add, map(prefixes.__getitem__, integer_parts), shown))
        rows = map(operator.add, map(fields.__getitem__, integer_parts), zip(onus, repeat(None)))
        return list(map(_new_decoded, repeat(DecodedIndex), rows)), names

    decode.column = column  # type: ignore[attr-defined]
    return decode


_FIRST, _THIRD = operator.itemgetter(0), operator.itemgetter(2)


def _encode_bits(f: IndexFormula, frame: int, slot: int, port: int, onu: int | None) -> int:
    """Pack the fields of a bitshift formula (ONU only when the formula has an ONU field)."""
    value = f.base
    fields = [
        (frame - f.frame_offset, f.shift_frame, f.mask_frame),
        (slot, f.shift_slot, f.mask_slot),
        (port, f.shift_port, f.mask_port),
    ]
    if onu is not None and f.mask_onu:
        fields.append((onu, f.shift_onu, f.mask_onu))
    for field_value, shift, mask in fields:
        value |= (field_value & mask) << shift
    return value


def encode_index(
    formula: IndexFormula, frame: int, slot: int, port: int, onu_id: int | None = None
) -> str:
    """Inverse of decode_index: build the raw index ("<port index>.<onu>" with onu_from_dot)."""
    slot, port = slot - formula.slot_offset, port - formula.port_offset
    raw_onu = None if onu_id is None else onu_id - formula.onu_offset
    if formula.mode == "linear":
        value = formula.base + slot * formula.step_slot + port * formula.step_port
    elif formula.mode == "bitshift":
        packed_onu = None if formula.onu_from_dot else raw_onu
        value = _encode_bits(formula, frame, slot, port, packed_onu)
        if formula.mask_onu and not formula.onu_from_dot:
            return str(value)
    elif formula.mode in ("ifname", "string"):
        raise ValueError(f"a {formula.mode} formula cannot encode: the index comes from the OLT")
    else:
        raise ValueError(f"unknown index formula mode {formula.mode!r}")
    if raw_onu is None:
        return str(value)
    if formula.onu_from_dot:
        return f"{value}.{raw_onu}"
    return str(value + raw_onu)
