"""Baseline JPEG entropy-data check: every MCU is Huffman-decoded (coefficients are not kept).

Used to find where a JPEG stops decoding cleanly (the split point of a fragmented file or
the valid prefix of a truncated one) and to prove a reassembled file decodes to its last MCU.
The walk itself is the C extension `_jpeg_entropy` (bounds-checked: it reads bits past a
segment's end as ones); this module says which Huffman table each block of an MCU uses.
A `Trail` lets the decodes of one candidate second fragment with several heads or starts
share their work: once a decode meets an MCU start an earlier one passed, the rest of its
walk is known (same outcome, less decoding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scanner.carve._jpeg_entropy import Decoder, Trail
from scanner.carve.jpeg_structure import HUFFMAN_SEQUENTIAL, Layout


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

    def check_along(
        self, raw: bytes, bit: int, mcu: int, trail: Trail, at: int, shared: int
    ) -> Decoded:
        """`check` of `raw`, which lies at absolute offset `at` and ends where every buffer
        checked with `trail` ends; its bytes from absolute offset `shared` on are the same
        media bytes as theirs (a head, then a continuation from `shared` on)."""
        ok, end, mcus, _ = self._decoder.check(raw, bit, mcu, False, trail, at, shared)
        return Decoded(ok, end, mcus)

    def check_points(self, raw: bytes, bit: int = 0, mcu: int = 0) -> tuple[Decoded, Checkpoints]:
        """`check`, with where each MCU starts (raw offsets into `raw`)."""
        ok, end, mcus, rows = self._decoder.check(raw, bit, mcu, True)
        return Decoded(ok, end, mcus), Checkpoints(rows)


def _mcu_plan(layout: Layout) -> tuple[int, list[bytes], bytes]:
    """(number of MCUs, Huffman tables, (dc, ac) table index per block of one MCU) for the
    first scan."""
    hmax = max(h for h, _ in layout.components.values())
    vmax = max(v for _, v in layout.components.values())
    tables: list[bytes] = []
    plan = bytearray()
    for cid, td, ta in layout.scan:
        pair = []
        for table in (layout.dc_tables[td], layout.ac_tables[ta]):
            if table not in tables:
                tables.append(table)
            pair.append(tables.index(table))
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
