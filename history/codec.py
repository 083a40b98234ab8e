"""Packed samples: one block holds one value record per ONU of a roster, at fixed width.

A plain row per sample costs ~60 bytes on PostgreSQL (tuple header, timestamp, keys, index);
a block of little-endian 16-bit words costs 8 bytes per raw sample, and a chart reads one
ONU's record out of each block with substr() (PostgreSQL fetches only the TOAST chunk it
needs when the column is stored EXTERNAL, uncompressed). Decisions measured by
bench/history.py.

Raw record (4 words): rx, tx (hundredths of dBm, signed), state (signed), distance (metres,
unsigned). Rollup record (9 words): rx min/avg/max, tx min/avg/max, last state, last
distance, number of samples. NULL is 0x8000 in a signed word and 0xFFFF in an unsigned one.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence

RAW = 0
HOUR = 1
DAY = 2
RESOLUTIONS = {RAW: "raw", HOUR: "hour", DAY: "day"}

RAW_FIELDS = ("rx", "tx", "state", "distance")
ROLLUP_FIELDS = (
    "rx_min",
    "rx_avg",
    "rx_max",
    "tx_min",
    "tx_avg",
    "tx_max",
    "state",
    "distance",
    "n",
)
UNSIGNED = frozenset({"distance", "n"})
FIELDS = {RAW: RAW_FIELDS, HOUR: ROLLUP_FIELDS, DAY: ROLLUP_FIELDS}

_SIGNED_NULL = 0x8000
_UNSIGNED_NULL = 0xFFFF
_BIG_ENDIAN = sys.byteorder == "big"
assert array("i").itemsize == 4 and array("H").itemsize == 2, "rosters and blocks need C int = 4"


def width(resolution: int) -> int:
    """Bytes per ONU record in a block of this resolution."""
    return 2 * len(FIELDS[resolution])


def centi(dbm: float | None) -> int | None:
    """dBm as hundredths, clamped to a signed word (None stays None)."""
    if dbm is None:
        return None
    return max(-32767, min(32767, round(dbm * 100)))


def _word(value: int | None, unsigned: bool) -> int:
    if value is None:
        return _UNSIGNED_NULL if unsigned else _SIGNED_NULL
    if unsigned:
        return max(0, min(_UNSIGNED_NULL - 1, int(value)))
    return max(-32767, min(32767, int(value))) & 0xFFFF


def _value(word: int, unsigned: bool) -> int | None:
    if unsigned:
        return None if word == _UNSIGNED_NULL else word
    if word == _SIGNED_NULL:
        return None
    return word - 0x10000 if word & 0x8000 else word


def pack(records: Iterable[Sequence[int | None]], resolution: int) -> bytes:
    """Records (one tuple of ints or None per ONU, in roster order) as a block."""
    flags = [f in UNSIGNED for f in FIELDS[resolution]]
    records = list(records)
    n = len(flags)
    if set(map(len, records)) - {n}:
        raise ValueError(f"a record of resolution {resolution} needs {n} values")
    # a field at a time, its words made by array in C where its values are in-range ints
    # or None (a poll packs 16,384 ONUs' records; a call per value was most of the packing)
    words = array("H", bytes(2 * n * len(records)))
    for k, column in enumerate(zip(*records, strict=True)):
        words[k::n] = _words(column, flags[k])
    if _BIG_ENDIAN:
        words.byteswap()
    return words.tobytes()


_NONE = type(None)


def _words(column: Sequence[int | None], unsigned: bool) -> array:
    """_word of every value of one field, as an array("H")."""
    kinds = set(map(type, column))
    if kinds <= {int, _NONE}:
        given = [v for v in column if v is not None] if _NONE in kinds else column
        low, high = (0, _UNSIGNED_NULL - 1) if unsigned else (-32767, 32767)
        if not given or (low <= min(given) and max(given) <= high):
            if _NONE in kinds:  # NULL: 0xFFFF unsigned, 0x8000 signed (-32768 as a short)
                null = _UNSIGNED_NULL if unsigned else -0x8000
                column = [null if v is None else v for v in column]
            if unsigned:
                return array("H", column)
            return array("H", array("h", column).tobytes())
    return array("H", [_word(v, unsigned) for v in column])


def unpack(blob: bytes, resolution: int) -> list[tuple[int | None, ...]]:
    """Every record of a block."""
    flags = [f in UNSIGNED for f in FIELDS[resolution]]
    words = array("H")
    words.frombytes(bytes(blob))
    if _BIG_ENDIAN:
        words.byteswap()
    n = len(flags)
    return [
        tuple(_value(words[i + k], flags[k]) for k in range(n)) for i in range(0, len(words), n)
    ]


def unpack_one(chunk: bytes, resolution: int) -> dict[str, int | None] | None:
    """One record read with substr(); None when the chunk is short (a corrupt block)."""
    fields = FIELDS[resolution]
    if chunk is None or len(chunk) != 2 * len(fields):
        return None
    (record,) = unpack(chunk, resolution)
    return dict(zip(fields, record, strict=True))


def pack_ids(ids: Sequence[int]) -> bytes:
    """A roster: sorted ONU ids as little-endian 32-bit integers."""
    out = array("i", ids)
    if _BIG_ENDIAN:
        out.byteswap()
    return out.tobytes()


def unpack_ids(blob: bytes) -> array:
    """A roster's ONU ids (sorted)."""
    out = array("i")
    out.frombytes(bytes(blob))
    if _BIG_ENDIAN:
        out.byteswap()
    return out
