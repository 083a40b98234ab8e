"""Decode vendor raw SNMP table indexes into frame/slot/port/ONU positions."""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("linear", "bitshift")


@dataclass(frozen=True)
class IndexFormula:
    """How a brand packs frame/slot/port (and maybe the ONU) into a table index.

    linear:   port_index - base = slot*step_slot + port*step_port (+ onu remainder)
    bitshift: field = (port_index >> shift) & mask; mask 0 means the field is absent (0);
              ``base`` holds constant bits OR-ed in when encoding (ZTE type nibble).
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


@dataclass(frozen=True)
class DecodedIndex:
    """A decoded position; ``onu_id`` is None for port-level indexes."""

    frame: int
    slot: int
    port: int
    onu_id: int | None

    @property
    def name(self) -> str:
        """Render as "frame/slot/port:onu" or "frame/slot/port"."""
        pos = f"{self.frame}/{self.slot}/{self.port}"
        return pos if self.onu_id is None else f"{pos}:{self.onu_id}"


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


def decode_index(formula: IndexFormula, raw_index: str) -> DecodedIndex:
    """Decode a raw index such as "4194312448.2"; ValueError on bad input."""
    if formula.mode not in MODES:
        raise ValueError(f"unknown index formula mode {formula.mode!r}")
    value, tail = _split(raw_index)
    if value < formula.base:
        raise ValueError(f"index {raw_index!r} is below the formula base {formula.base}")
    onu_id: int | None = None
    if formula.mode == "linear":
        frame, slot, port, rem = _decode_linear(formula, value)
        if rem:
            onu_id = rem
    else:
        frame = _field(value, formula.shift_frame, formula.mask_frame) + formula.frame_offset
        slot = _field(value, formula.shift_slot, formula.mask_slot)
        port = _field(value, formula.shift_port, formula.mask_port)
    if formula.onu_from_dot and tail:
        onu_id = tail[0]
    if onu_id is not None:
        onu_id += formula.onu_offset
    return DecodedIndex(frame=frame, slot=slot, port=port, onu_id=onu_id)


def encode_index(
    formula: IndexFormula, frame: int, slot: int, port: int, onu_id: int | None = None
) -> str:
    """Inverse of decode_index: build the raw index ("<port index>.<onu>" with onu_from_dot)."""
    if formula.mode == "linear":
        value = formula.base + slot * formula.step_slot + port * formula.step_port
    elif formula.mode == "bitshift":
        value = formula.base
        for field_value, shift, mask in (
            (frame - formula.frame_offset, formula.shift_frame, formula.mask_frame),
            (slot, formula.shift_slot, formula.mask_slot),
            (port, formula.shift_port, formula.mask_port),
        ):
            value |= (field_value & mask) << shift
    else:
        raise ValueError(f"unknown index formula mode {formula.mode!r}")
    if onu_id is None:
        return str(value)
    raw_onu = onu_id - formula.onu_offset
    if formula.onu_from_dot:
        return f"{value}.{raw_onu}"
    return str(value + raw_onu)
