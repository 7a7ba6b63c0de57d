"""Baseline JPEG entropy-data check: every MCU is Huffman-decoded (coefficients are not kept).

Used to find where a JPEG stops decoding cleanly (the split point of a fragmented file or
the valid prefix of a truncated one) and to prove a reassembled file decodes to its last MCU.
The 16-bit lookup tables are built here; the walk itself is the C extension
`_jpeg_entropy` (bounds-checked, it reads bits past a segment's end as ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scanner.carve._jpeg_entropy import Decoder
from scanner.carve.jpeg_structure import HUFFMAN_SEQUENTIAL, Layout

EOB = 128


@lru_cache(maxsize=64)
def _codes(table: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """(code length, symbol) of the code each 16-bit peek starts with; length 0: no code."""
    counts, symbols = table[:16], table[16:]
    lengths = np.zeros(65536, np.int64)
    decoded = np.zeros(65536, np.int64)
    code = index = 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            if code >= 1 << length or index >= len(symbols):
                return None
            span = 1 << (16 - length)
            lengths[code * span : (code + 1) * span] = length
            decoded[code * span : (code + 1) * span] = symbols[index]
            code += 1
            index += 1
        code <<= 1
    return lengths, decoded


@lru_cache(maxsize=64)
def _dc_lut(table: bytes) -> np.ndarray | None:
    """16-bit lookup: entry = bits consumed (code + magnitude); 0 = bad code."""
    codes = _codes(table)
    if codes is None:
        return None
    lengths, symbols = codes
    return _frozen(np.where((lengths > 0) & (symbols <= 11), lengths + symbols, 0))


@lru_cache(maxsize=64)
def _ac_lut(table: bytes) -> np.ndarray | None:
    """16-bit lookup decoding every AC symbol whose code lies in the 16 bits; 0 = bad code.

    entry = bits consumed | coefficient steps << 8 | reach << 16 | first symbol alone << 24,
    where a step is run + 1 (16 for ZRL, EOB for end of block), the symbols stop after an
    EOB, and reach is how far the symbols go into the block (an EOB counts 1). The decoder
    takes all the symbols when they end inside the block, else the first one alone (bits |
    step << 8), so it consumes exactly what a symbol-by-symbol decoder would.
    """
    codes = _codes(table)
    if codes is None:
        return None
    lengths, symbols = codes
    run, size = symbols >> 4, symbols & 15
    step = np.select([size > 0, run == 0, run == 15], [run + 1, EOB, 16], 0)
    valid = (lengths > 0) & (size <= 10) & (step > 0)
    bits = np.where(valid, lengths + size, 0)
    alone = bits | step << 8
    peek = np.arange(65536)
    used, steps, reach = bits.copy(), step.copy(), np.where(step == EOB, 1, step)
    extend = valid & (step != EOB)
    while extend.any():
        nxt = (peek << np.minimum(used, 16)) & 0xFFFF
        extend &= (used < 16) & valid[nxt] & (used + lengths[nxt] <= 16)
        used = np.where(extend, used + bits[nxt], used)
        steps = np.where(extend, steps + step[nxt], steps)
        reach = np.where(extend, reach + np.where(step[nxt] == EOB, 1, step[nxt]), reach)
        extend &= step[nxt] != EOB
    return _frozen(np.where(valid, used | steps << 8 | reach << 16 | alone << 24, 0))


def _frozen(lut: np.ndarray) -> np.ndarray:
    """A read-only int64 copy: lookup tables are cached and shared."""
    out = np.ascontiguousarray(lut, np.int64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Decoded:
    """Outcome of a check: `end` is the closing marker's offset when ok, else the bad byte."""

    ok: bool
    end: int
    mcus: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An MCU start: raw byte offset, bit in that byte, MCU index."""

    raw: int
    bit: int
    mcu: int


class Checkpoints:
    """The MCU starts met by a check, as (raw, bit, MCU) rows; of the MCUs starting in one
    byte only the last is kept."""

    def __init__(self, rows: bytes) -> None:
        self.rows = np.frombuffer(rows, np.int64).reshape(-1, 3)

    def __len__(self) -> int:
        return len(self.rows)

    def last_before(self, raw: int) -> Checkpoint | None:
        """The last MCU start before raw offset `raw`, if any."""
        index = int(np.searchsorted(self.rows[:, 0], raw)) - 1
        if index < 0:
            return None
        at, bit, mcu = self.rows[index].tolist()
        return Checkpoint(at, bit, mcu)


class HuffmanCheck:
    """Decoder for the first scan of a baseline JPEG (all components, or a single one)."""

    def __init__(self, layout: Layout) -> None:
        self.total, tables, plan = _mcu_plan(layout)
        self._decoder = Decoder(tables, plan, self.total, max(layout.restart, 0))

    @classmethod
    def for_layout(cls, layout: Layout) -> HuffmanCheck | None:
        """A checker, or None when the layout is not one this decoder handles."""
        if layout.sof not in HUFFMAN_SEQUENTIAL or not layout.scan or layout.height == 0:
            return None
        if len(layout.scan) not in (1, len(layout.components)):
            return None
        try:
            return cls(layout)
        except (KeyError, ValueError):
            return None

    def check(self, raw: bytes, bit: int = 0, mcu: int = 0) -> Decoded:
        """Decode entropy-coded `raw` (stuffed, with RSTn) from (bit, mcu) to the last MCU."""
        ok, end, mcus, _ = self._decoder.check(raw, bit, mcu, False)
        return Decoded(ok, end, mcus)

    def check_points(self, raw: bytes) -> tuple[Decoded, Checkpoints]:
        """`check` from the first MCU, with where each MCU starts."""
        ok, end, mcus, rows = self._decoder.check(raw, 0, 0, True)
        return Decoded(ok, end, mcus), Checkpoints(rows)


def _mcu_plan(layout: Layout) -> tuple[int, list[np.ndarray], bytes]:
    """(number of MCUs, lookup tables, (dc, ac) table index per block of one MCU) for the
    first scan."""
    hmax = max(h for h, _ in layout.components.values())
    vmax = max(v for _, v in layout.components.values())
    tables: list[np.ndarray] = []
    index: dict[tuple[str, bytes], int] = {}
    plan = bytearray()
    for cid, td, ta in layout.scan:
        pair = []
        for kind, table, build in (
            ("dc", layout.dc_tables[td], _dc_lut),
            ("ac", layout.ac_tables[ta], _ac_lut),
        ):
            if (kind, table) not in index:
                lut = build(table)
                if lut is None:
                    raise ValueError("malformed Huffman table")
                index[kind, table] = len(tables)
                tables.append(lut)
            pair.append(index[kind, table])
        h, v = layout.components[cid]
        blocks = 1 if len(layout.scan) == 1 else h * v
        plan.extend(bytes(pair) * blocks)
    if len(layout.scan) > 1:
        total = -(-layout.width // (8 * hmax)) * -(-layout.height // (8 * vmax))
    else:
        h, v = layout.components[layout.scan[0][0]]
        width = -(-layout.width * h // hmax)
        height = -(-layout.height * v // vmax)
        total = -(-width // 8) * -(-height // 8)
    return total, tables, bytes(plan)
