"""Bifragment gap carving of baseline JPEGs (Garfinkel, DFRWS 2007).

The first fragment decodes cleanly up to the split; the split is a sector boundary at or
before the first undecodable byte. The second fragment starts on a later sector boundary.
Each (split, continuation) pair is tried by resuming the Huffman decoder at the last MCU
start before the split; a pair is accepted only when the joined stream decodes every MCU
and ends exactly at EOI.
"""

from __future__ import annotations

import bisect

from scanner.carve.jpeg_huffman import Checkpoint, Decoded, HuffmanCheck
from scanner.carve.jpeg_structure import EOI, MARKER_IN_SCAN, find_scan_end
from scanner.carve.window import Window

SECTOR = 512
MAX_GAP = 4 << 20
MAX_SPLITS = 8
MAX_TRIES = 1_500
PROBE = 4096
LOOKAHEAD = 1 << 20
ZERO_SECTOR = bytes(SECTOR)
FOREIGN = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"\x1aE\xdf\xa3")


def _foreign(sector: bytes) -> bool:
    """A sector no JPEG entropy data contains: zeros, or another file's header."""
    return sector == ZERO_SECTOR or sector.startswith(FOREIGN) or sector[4:8] == b"ftyp"


def first_foreign_sector(window: Window, lo: int, hi: int) -> int:
    """Start of the first aligned foreign sector starting in [lo, hi), else hi."""
    pos = -(-lo // SECTOR) * SECTOR
    while pos < hi:
        block = window.read(pos, min(1 << 20, -(-(hi - pos) // SECTOR) * SECTOR))
        for index in range(0, len(block), SECTOR):
            if pos + index < hi and _foreign(block[index : index + SECTOR]):
                return pos + index
        if len(block) < SECTOR:
            return hi
        pos += len(block) - len(block) % SECTOR
    return hi


def _continuations(window: Window, split: int) -> list[int]:
    """Sector starts after `split` from which the data runs clean to an EOI marker.

    A second fragment is entropy-coded data up to EOI: no other marker may come first.
    Random data rarely qualifies (its first marker is EOI about once in 250 cases).
    """
    lo = split + SECTOR
    hi = min(window.end, split + MAX_GAP)
    if hi <= lo:
        return []
    data = window.read(lo, hi - lo + LOOKAHEAD)
    markers = [m.start() for m in MARKER_IN_SCAN.finditer(data)]
    out: list[int] = []
    for rel in range(0, hi - lo, SECTOR):
        index = bisect.bisect_left(markers, rel)
        if index < len(markers):
            code = data[markers[index] + 1]
        else:
            marker = find_scan_end(window, lo + rel)
            code = window.read(marker + 1, 1)[0] if window.read(marker + 1, 1) else -1
        if code == EOI and data[rel : rel + SECTOR] != ZERO_SECTOR:
            out.append(lo + rel)
    return out


def bifragment(
    window: Window, checker: HuffmanCheck, scan_start: int, checkpoints: list[Checkpoint], bad: int
) -> tuple[int, int, int] | None:
    """(split, continuation, end after EOI) of a two-fragment JPEG, None when not found.

    Continuations are tried nearest first; for each, the candidate splits nearest the
    undecodable byte first, so likely pairs come early and the work stays bounded.
    """
    foreign = first_foreign_sector(window, scan_start, bad)
    top = foreign if foreign < bad else -(-(bad + 2) // SECTOR) * SECTOR
    raws = [c.raw for c in checkpoints]
    heads: list[tuple[int, bytes, Checkpoint]] = []
    for split in range(top, max(scan_start, top - MAX_SPLITS * SECTOR), -SECTOR):
        index = bisect.bisect_left(raws, split - scan_start) - 1
        if index >= 0:
            cp = checkpoints[index]
            heads.append((split, window.read(scan_start + cp.raw, split - scan_start - cp.raw), cp))
    if not heads:
        return None
    search = _Search(window, checker, budget=16 * (bad - scan_start) + (4 << 20))
    conts = _continuations(window, top - SECTOR)
    for group, limit in ((heads[:2], MAX_TRIES // 2), (heads[2:], MAX_TRIES)):
        found = search.pairs(group, conts, limit)
        if found is not None:
            return found
    return None


class _Search:
    """Continuation trials for one file, within a budget of bytes decoded."""

    def __init__(self, window: Window, checker: HuffmanCheck, budget: int) -> None:
        self.window, self.checker, self.budget = window, checker, budget
        self.tries = 0

    def pairs(
        self, heads: list[tuple[int, bytes, Checkpoint]], conts: list[int], limit: int
    ) -> tuple[int, int, int] | None:
        """(split, continuation, end) of the first pair that decodes, continuations nearest first."""
        skip_to: dict[int, int] = {}
        for cont in conts:
            for split, head, cp in heads:
                if cont <= split or cont < skip_to.get(split, 0):
                    continue
                self.tries += 1
                if self.budget <= 0 or self.tries > limit:
                    return None
                end, skip_to[split] = self.try_pair(head, cp, cont)
                if end is not None:
                    return split, cont, end
        return None

    def try_pair(self, head: bytes, cp: Checkpoint, cont: int) -> tuple[int | None, int]:
        """(end after EOI or None, continuation to skip to when later ones cannot work)."""
        probe = self.window.read(cont, PROBE)
        result = self.checker.check(head + probe, cp.bit, cp.mcu)
        self.budget -= result.end
        if not result.ok and result.end < len(head) + len(probe) - 8:
            return None, 0
        if not result.ok:
            stop = find_scan_end(self.window, cont)
            result = self.checker.check(
                head + self.window.read(cont, stop + 2 - cont), cp.bit, cp.mcu
            )
            self.budget -= result.end
            if (
                not result.ok
                and result.mcus < self.checker.total
                and result.end >= len(head) + stop - cont - 8
            ):
                return None, stop
        if result.end < len(head):
            return None, 0
        return _eoi_end(self.window, result, cont - len(head)), 0


def _eoi_end(window: Window, result: Decoded, shift: int) -> int | None:
    if not result.ok or shift + result.end < window.start:
        return None
    marker = shift + result.end
    return marker + 2 if window.read(marker, 2) == b"\xff\xd9" else None
