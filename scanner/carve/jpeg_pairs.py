"""Two-fragment JPEGs whose second fragment is anywhere in the extent, before or after.

The chunk-local search (`jpeg_fragments.bifragment`) looks a few MiB forward. What it
misses is tried once the whole extent is carved, against every *orphan* EOI: an EOI
marker no carved file covers. The second fragment of a JPEG is entropy-coded data running
clean (no marker but RSTn, stuffing and fill) from a sector start to such an EOI; the run
back from each EOI is bounded by the previous marker and by the files around it, so it
never starts inside another file. Candidates are tried nearest first, in both directions,
with the same Huffman resumption, size filter, libjpeg decode and seam score as the local
search; the result lists its runs in file order (the head's first, wherever it lies).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from functools import partial

import numpy as np

from scanner.carve import seam_ties
from scanner.carve.jpeg_fragments import (
    GROSS_SEAM,
    MAX_SPLITS,
    MAX_TRIES,
    PROBE,
    RATIO,
    SECTOR,
    ZERO_SECTOR,
    Judge,
    _Search,
    first_foreign_sector,
    near_starts,
)
from scanner.carve.jpeg_huffman import Checkpoint, Checkpoints, HuffmanCheck
from scanner.carve.jpeg_structure import walk
from scanner.carve.libjpeg_check import pair_seam
from scanner.carve.registry import Found
from scanner.carve.window import Window

RUN_BLOCK = 64 << 10  # bytes read at a time looking back from an EOI for the previous marker
MAX_RUN = 64 << 20  # a second fragment longer than this is not looked for
DECODE_BUDGET = 256  # bytes decoded per broken file, in multiples of its whole entropy data
SHALLOW = 4  # continuation starts per split tried first at each EOI (a run starts near it)
NOT_MARKER = frozenset({0x00, 0xFF, *range(0xD0, 0xD8)})  # after 0xFF: stuffing, RSTn, fill
Head = tuple[int, bytes, Checkpoint]


class Spans:
    """The byte ranges that carved files hold, sorted: no second fragment overlaps them."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.ranges = sorted(ranges)
        self.starts = [lo for lo, _ in self.ranges]
        self.reach = np.maximum.accumulate([hi for _, hi in self.ranges]).tolist()

    def covers(self, pos: int) -> bool:
        index = bisect.bisect_right(self.starts, pos) - 1
        return index >= 0 and self.reach[index] > pos

    def floor(self, pos: int) -> int:
        """The end of the held bytes furthest on among ranges starting before `pos`."""
        index = bisect.bisect_right(self.starts, pos - 1) - 1
        return self.reach[index] if index >= 0 else 0

    def add(self, lo: int, hi: int) -> None:
        index = bisect.bisect_left(self.starts, lo)
        self.ranges.insert(index, (lo, hi))
        self.starts.insert(index, lo)
        self.reach = np.maximum.accumulate([h for _, h in self.ranges]).tolist()


class Orphans:
    """Orphan EOIs of an extent and, found on demand and kept, where each one's clean run of
    entropy-coded data begins."""

    def __init__(
        self, window: Window, eois: list[int], spans: Spans, runs: dict[int, int] | None = None
    ) -> None:
        """`eois`: the orphans, sorted; `runs`: run starts found already for the same window
        and spans (the tasks of one extent share them), filled in as more are found."""
        self.window, self.spans = window, spans
        self.eois = eois
        self._runs: dict[int, int] = {} if runs is None else runs

    def run_start(self, eoi: int) -> int:
        """First byte of the run of entropy-coded data that ends at the EOI at `eoi`."""
        if eoi not in self._runs:
            self._runs[eoi] = self._find_run(eoi)
        return self._runs[eoi]

    def _find_run(self, eoi: int) -> int:
        """Back from the EOI to the previous marker or zero sector (entropy-coded data never
        holds 512 zero bytes), never into a whole file or past MAX_RUN."""
        low = max(self.window.start, self.spans.floor(eoi), eoi - MAX_RUN)
        hi, block = eoi, SECTOR * 8  # most runs (in old random data) are short
        while hi > low:
            lo = max(low, hi - block)
            block = min(RUN_BLOCK, block * 4)
            data = self.window.read(lo, hi + 1 - lo)
            if len(data) < 2:
                return hi
            found = _run_start(data, lo, hi)
            if found is not None:
                return found
            hi = lo + 1  # a marker across the block boundary is seen by the next block
            if lo == low:
                return low
        return low

    def nearest(self, split: int, start: int) -> Iterator[int]:
        """Orphan EOIs, nearest to the fragment boundary first: after `split` or before the
        head at `start`."""
        after = bisect.bisect_right(self.eois, split)
        before = bisect.bisect_left(self.eois, start) - 1
        while after < len(self.eois) or before >= 0:
            ahead = self.eois[after] - split if after < len(self.eois) else None
            back = start - self.eois[before] if before >= 0 else None
            if back is None or (ahead is not None and ahead <= back):
                eoi = self.eois[after]
                after += 1
            else:
                eoi = self.eois[before]
                before -= 1
            if not self.spans.covers(eoi):  # a file paired earlier may have taken it
                yield eoi


def _run_start(data: bytes, lo: int, hi: int) -> int | None:
    """Where a run ending at `hi` starts within `data` (the bytes from `lo` to `hi`
    inclusive): after the last marker or the last zero sector in it, whichever is later;
    None when there is neither. The marker is found from the end with rfind (in old random
    data one is a few hundred bytes back), then only the sectors after it are compared."""
    marker = _last_marker(data)
    floor = None if marker < 0 else lo + marker + 2
    first = -(-lo // SECTOR) * SECTOR  # the whole sectors in [lo, hi)
    for index in range((hi - first) // SECTOR - 1, -1, -1):
        end = first + (index + 1) * SECTOR
        if floor is not None and end <= floor:
            break
        at = first - lo + index * SECTOR
        if data[at : at + SECTOR] == ZERO_SECTOR:
            return end
    return floor


def _last_marker(data: bytes) -> int:
    """Index of the last 0xFF in `data` that starts a marker (followed by a byte that is
    not stuffing, RSTn or fill, within `data`), else -1."""
    before = len(data) - 1
    while (index := data.rfind(b"\xff", 0, before)) >= 0:
        if data[index + 1] not in NOT_MARKER:
            return index
        before = index
    return -1


def heads_of(window: Window, start: int) -> tuple[HuffmanCheck, list[Head], float] | None:
    """The checker, the (split, head bytes, checkpoint) candidates and bytes per MCU of the
    broken baseline JPEG at `start`, as the local search has them."""
    result = walk(window, start)
    if result is None:
        return None
    checker = HuffmanCheck.for_layout(result.layout)
    scan_start = result.layout.scan_start
    if checker is None or not scan_start:
        return None
    decoded, points = checker.check_points(window.read(scan_start, result.end + 2 - scan_start))
    if decoded.ok:
        return None
    bad = scan_start + decoded.end
    foreign = first_foreign_sector(window, scan_start, bad)
    top = foreign if foreign < bad else -(-(bad + 1) // SECTOR) * SECTOR
    heads = _heads(window, scan_start, points, top)
    if not heads:
        return None
    return checker, heads, heads[0][2].raw / max(1, heads[0][2].mcu)


def _heads(window: Window, scan_start: int, points: Checkpoints, top: int) -> list[Head]:
    heads = []
    for split in range(top, max(scan_start, top - MAX_SPLITS * SECTOR), -SECTOR):
        cp = points.last_before(split - scan_start)
        if cp is not None:
            heads.append((split, window.read(scan_start + cp.raw, split - scan_start - cp.raw), cp))
    return heads


def pair_anywhere(
    window: Window, start: int, orphans: Orphans, judge: Judge, fallback: Found
) -> Found | None:
    """The JPEG at `start` reassembled with a second fragment ending at an orphan EOI (one
    no file holds yet: the caller takes the fragment, see reassemble)."""
    found = heads_of(window, start)
    if found is None:
        return None
    checker, heads, rate = found
    # bytes decoded at most: DECODE_BUDGET times the picture's entropy data at the head's rate
    budget = int(DECODE_BUDGET * checker.total * (rate + 1)) + (32 << 20)
    search = _Search(window, checker, budget, rate, judge, heads[-1][0])
    top = heads[0][0]
    for depth in (SHALLOW, None):  # first only where the runs start, then all of them
        for eoi in orphans.nearest(top, start):
            if search.tries > MAX_TRIES or search.budget <= 0:
                return None
            pair = _try_eoi(search, orphans, heads, start, eoi, depth)
            if pair is not None:
                split, cont, end, _ = _smoothest(search, heads, start, eoi, pair)
                runs = ((start, split - start), (cont, end - cont))
                return Found("jpg", runs, True, fallback)
    return None


def _smoothest(
    search: _Search, heads: list[Head], start: int, eoi: int, found: tuple[int, int, int, float]
) -> tuple[int, int, int, float]:
    """The pair with the smoothest seam near a found one with a rough seam (data of the
    right kind can stand in for a few sectors; see jpeg_fragments). Always looked at
    here: these pairs are few, and a smooth wrong one a sector off is otherwise kept."""
    decoded = [found]
    split0, cont0 = found[0], found[1]
    for split, head, cp in heads:
        for cont in sorted(near_starts(cont0, split - split0)):
            if (split, cont) == (split0, cont0) or start <= cont < split or cont > eoi:
                continue
            end, score, _ = search.attempt(split, head, cp, cont, eoi)
            if end is not None and score is not None:
                decoded.append((split, cont, end, score))
    return seam_ties.choose(decoded)


def _try_eoi(
    search: _Search, orphans: Orphans, heads: list[Head], start: int, eoi: int, depth: int | None
) -> tuple[int, int, int, float] | None:
    """(split, continuation, end) of a pair whose second fragment ends at `eoi`, trying at
    most `depth` continuation starts per split (None: all).

    Continuation starts are tried nearest the run's start first, every split at each
    (the second fragment usually starts where its run does, while a wrong split, with
    foreign bytes at its end, fails at every start: trying all starts for one split before
    the next would spend the trials on it)."""
    if start <= eoi < heads[0][0]:
        return None
    run = orphans.run_start(eoi)
    window = search.window
    nexts: dict[int, int] = {}  # head index -> its next continuation start
    tried: dict[int, int] = {}  # head index -> starts tried
    for index, (split, head, cp) in enumerate(heads):
        needed = (search.checker.total - cp.mcu) * (search.rate + 1)
        if eoi - run + len(head) >= needed / RATIO:  # else even the whole run is too short
            nexts[index] = max(-(-run // SECTOR) * SECTOR, split if eoi > split else 0)
    while nexts:
        index = min(nexts, key=lambda i: (nexts[i], i))
        cont = nexts[index]
        split, head, cp = heads[index]
        needed = (search.checker.total - cp.mcu) * (search.rate + 1)
        length = eoi - cont + len(head)
        if cont > eoi or start <= cont < split or length < needed / RATIO:
            del nexts[index]  # past the EOI, into the head's own bytes, or too short
            continue
        if length > needed * RATIO + PROBE:
            nexts[index] += max(1, -(-int(length - needed * RATIO - PROBE) // SECTOR)) * SECTOR
            continue
        if window.read(cont, SECTOR) == ZERO_SECTOR:
            nexts[index] += SECTOR
            continue
        search.tries += 1
        if search.tries > MAX_TRIES or search.budget <= 0:
            return None
        end, score, skip = search.attempt(split, head, cp, cont, eoi)
        if end is not None and score is not None and score <= GROSS_SEAM:
            return split, cont, end, score
        tried[index] = tried.get(index, 0) + 1
        if skip >= eoi or tried[index] == depth:  # the EOI came before the last MCU
            del nexts[index]
        else:
            nexts[index] = max(cont + SECTOR, skip)
    return None


def judge_for(window: Window, start: int) -> Judge | None:
    """The seam judge of the JPEG at `start` (see libjpeg_check.pair_seam)."""
    result = walk(window, start)
    return None if result is None else partial(pair_seam, window, start, result.layout)
