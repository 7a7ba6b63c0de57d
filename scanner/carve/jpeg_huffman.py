"""Baseline JPEG entropy-data check: every MCU is Huffman-decoded (coefficients are not kept).

Used to find where a JPEG stops decoding cleanly (the split point of a fragmented file or
the valid prefix of a truncated one) and to prove a reassembled file decodes to its last MCU.
Bits are read through 32-bit windows, one per byte, and 16-bit lookup tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scanner.carve.jpeg_structure import HUFFMAN_SEQUENTIAL, Layout

ANY_MARKER = re.compile(rb"\xff[^\x00]")
EOB = 128
PIECE = 1 << 16
LOOKAHEAD = 4096
PADDING = [0xFFFFFFFF] * (LOOKAHEAD + 8)


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
def _dc_lut(table: bytes) -> list[int] | None:
    """16-bit lookup: entry = bits consumed (code + magnitude); 0 = bad code."""
    codes = _codes(table)
    if codes is None:
        return None
    lengths, symbols = codes
    return np.where((lengths > 0) & (symbols <= 11), lengths + symbols, 0).tolist()


@lru_cache(maxsize=64)
def _ac_lut(table: bytes) -> list[int] | None:
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
    return np.where(valid, used | steps << 8 | reach << 16 | alone << 24, 0).tolist()


def _windows(data: bytes, lo: int, hi: int) -> list[int]:
    """32-bit big-endian windows starting at each byte of data[lo:hi]."""
    part = np.frombuffer(data[lo : hi + 3] + b"\xff\xff\xff", dtype=np.uint8).astype(np.uint32)
    n = hi - lo
    words = (part[:n] << 24) | (part[1 : n + 1] << 16) | (part[2 : n + 2] << 8) | part[3 : n + 3]
    return words.tolist()


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


class HuffmanCheck:
    """Decoder for the first scan of a baseline JPEG (all components, or a single one)."""

    def __init__(self, layout: Layout) -> None:
        self.total, self.plan = _mcu_plan(layout)
        self.restart = max(layout.restart, 0)

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

    def check(
        self, raw: bytes, bit: int = 0, mcu: int = 0, checkpoints: list[Checkpoint] | None = None
    ) -> Decoded:
        """Decode entropy-coded `raw` (stuffed, with RSTn) from (bit, mcu) to the last MCU."""
        start = 0
        while True:
            match = ANY_MARKER.search(raw, start)
            marker = match.start() if match else len(raw)
            seg = raw[start:marker].replace(b"\xff\x00", b"\xff")
            stop = self.total
            if self.restart:
                stop = min(stop, (mcu // self.restart + 1) * self.restart)
            pos, mcu, ok = self._segment(seg, bit, mcu, stop, start, checkpoints)
            left = len(seg) * 8 - pos
            if ok and left >= 8:
                ok, pos = False, len(seg) * 8 - left
            elif ok and left and seg[-1] & ((1 << left) - 1) != (1 << left) - 1:
                ok = False
            if not ok:
                index = min(pos >> 3, len(seg))
                return Decoded(False, start + index + seg.count(b"\xff", 0, index), mcu)
            if marker >= len(raw) - 1:
                return Decoded(False, len(raw), mcu)
            while marker + 2 < len(raw) and raw[marker + 1] == 0xFF:
                marker += 1
            code = raw[marker + 1]
            if mcu == self.total:
                return Decoded(not 0xD0 <= code <= 0xD7, marker, mcu)
            if code != 0xD0 + ((mcu // self.restart - 1) & 7):
                return Decoded(False, marker, mcu)
            start, bit = marker + 2, 0

    def _segment(
        self,
        seg: bytes,
        pos: int,
        mcu: int,
        stop: int,
        raw_start: int,
        checkpoints: list[Checkpoint] | None,
    ) -> tuple[int, int, bool]:
        """Decode MCUs of one restart segment; (bit position, MCUs done, ok).

        The 32-bit windows are built a piece ahead and dropped once passed, so memory
        stays bounded whatever the segment size; `rel` is the bit position from `base`.
        """
        windows: list[int] = []
        base, built, size, plan = 0, 0, len(seg), self.plan
        rel, nbits = pos, len(seg) * 8
        counted = stuffed = 0
        piece = 1024
        while mcu < stop:
            if (rel >> 3) + LOOKAHEAD > built - base:
                if (rel >> 3) > PIECE:
                    drop = (rel >> 3) - 64
                    del windows[:drop]
                    base, rel = base + drop, rel - 8 * drop
                if built < size:
                    nxt = min(size, built + piece)
                    windows.extend(_windows(seg, built, nxt))
                    built, piece = nxt, min(2 * piece, PIECE)
                if built >= size and base + len(windows) == size:
                    windows.extend(PADDING)
            if checkpoints is not None:
                index = base + (rel >> 3)
                stuffed += seg.count(b"\xff", counted, index)
                counted = index
                checkpoints.append(Checkpoint(raw_start + index + stuffed, rel & 7, mcu))
            for dc, ac in plan:
                entry = dc[(windows[rel >> 3] >> (16 - (rel & 7))) & 0xFFFF]
                if not entry:
                    return base * 8 + rel, mcu, False
                rel += entry
                k = 1
                while k < 64:
                    entry = ac[(windows[rel >> 3] >> (16 - (rel & 7))) & 0xFFFF]
                    if not entry:
                        return base * 8 + rel, mcu, False
                    if k + (entry >> 16 & 0xFF) <= 64:
                        rel += entry & 0xFF
                        k += entry >> 8 & 0xFF
                    else:
                        rel += entry >> 24 & 0xFF
                        k += entry >> 32
                if 64 < k < EOB:
                    return base * 8 + rel, mcu, False
            if base * 8 + rel > nbits:
                return nbits, mcu, False
            mcu += 1
        return base * 8 + rel, mcu, True


def _mcu_plan(layout: Layout) -> tuple[int, list[tuple[list[int], list[int]]]]:
    """(number of MCUs, (dc lut, ac lut) per block of one MCU) for the first scan."""
    hmax = max(h for h, _ in layout.components.values())
    vmax = max(v for _, v in layout.components.values())
    plan: list[tuple[list[int], list[int]]] = []
    for cid, td, ta in layout.scan:
        dc = _dc_lut(layout.dc_tables[td])
        ac = _ac_lut(layout.ac_tables[ta])
        if dc is None or ac is None:
            raise ValueError("malformed Huffman table")
        h, v = layout.components[cid]
        blocks = 1 if len(layout.scan) == 1 else h * v
        plan.extend([(dc, ac)] * blocks)
    if len(layout.scan) > 1:
        total = -(-layout.width // (8 * hmax)) * -(-layout.height // (8 * vmax))
    else:
        h, v = layout.components[layout.scan[0][0]]
        width = -(-layout.width * h // hmax)
        height = -(-layout.height * v // vmax)
        total = -(-width // 8) * -(-height // 8)
    return total, plan
