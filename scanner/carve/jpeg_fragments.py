"""Bifragment gap carving of baseline JPEGs (Garfinkel, DFRWS 2007).

The first fragment decodes cleanly up to the split; the split is a sector boundary at or
before the first undecodable byte. The second fragment starts on a later sector boundary.
Each (split, continuation) pair is tried by resuming the Huffman decoder at the last MCU
start before the split; a pair is accepted only when the joined stream decodes every MCU
and ends exactly at EOI, and the caller's judge (libjpeg and a seam score) agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from scanner.carve import seam_ties
from scanner.carve._jpeg_entropy import Trail
from scanner.carve.jpeg_huffman import Checkpoint, Checkpoints, Decoded, HuffmanCheck
from scanner.carve.jpeg_structure import find_scan_end, walk
from scanner.carve.libjpeg_check import range_decodes_cleanly
from scanner.carve.window import Window

SECTOR = 512
CLUSTER = 4096  # the usual cluster size: splits on it are tried first
MAX_GAP = 4 << 20
MAX_SPLITS = 8
MAX_TRIES = 1_000
PROBE = 4096
LOOKAHEAD = 1 << 20
RATIO = 6
NEAR = 2  # sectors around a found continuation checked for a smoother pair
GROSS_SEAM = 8.0  # seam scores above this are rejected outright
OWNER_SOIS = 4  # SOIs looked at backwards from an EOI (an EXIF thumbnail's come after its file's)
OWNER_BLOCK = 64 << 10  # bytes read at a time looking backwards for them
TRAILS = 4  # trails kept per search: the candidates of its latest EOIs
SOI = b"\xff\xd8\xff"
ZERO_SECTOR = bytes(SECTOR)
EOI_CODE = 0xD9
_NOT_MARKER = np.zeros(256, np.bool_)  # byte after 0xFF in entropy-coded data: stuffing, RSTn, fill
_NOT_MARKER[[0x00, 0xFF, *range(0xD0, 0xD8)]] = True
FOREIGN = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"\x1aE\xdf\xa3")


def foreign(sector: bytes) -> bool:
    """A sector no JPEG entropy data contains: zeros, or another file's header."""
    return sector == ZERO_SECTOR or sector.startswith(FOREIGN) or sector[4:8] == b"ftyp"


def first_foreign_sector(window: Window, lo: int, hi: int) -> int:
    """Start of the first aligned foreign sector starting in [lo, hi), else hi."""
    pos = -(-lo // SECTOR) * SECTOR
    while pos < hi:
        block = window.read(pos, min(1 << 20, -(-(hi - pos) // SECTOR) * SECTOR))
        for index in range(0, len(block), SECTOR):
            if pos + index < hi and foreign(block[index : index + SECTOR]):
                return pos + index
        if len(block) < SECTOR:
            return hi
        pos += len(block) - len(block) % SECTOR
    return hi


def _continuations(window: Window, split: int) -> list[tuple[int, int]]:
    """(sector start, EOI offset) after `split` where the data runs clean to an EOI marker.

    A second fragment is entropy-coded data up to EOI: no other marker may come first.
    Random data rarely qualifies (its first marker is EOI about once in 250 cases).
    The first marker after every sector start is found with numpy over the whole gap; the
    starts with none in the data read (free space of zeros, say) share one search beyond it.
    """
    lo = split + SECTOR
    hi = min(window.end, split + MAX_GAP)
    if hi <= lo:
        return []
    data = window.read(lo, hi - lo + LOOKAHEAD)
    raw = np.frombuffer(data, np.uint8)
    ffs = np.flatnonzero(raw[:-1] == 0xFF)
    markers = ffs[~_NOT_MARKER[raw[ffs + 1]]]
    starts = np.arange(0, hi - lo, SECTOR)
    index = np.searchsorted(markers, starts)
    found = index < len(markers)
    first = markers[index[found]]
    eoi = raw[first + 1] == EOI_CODE
    out = list(zip(starts[found][eoi].tolist(), first[eoi].tolist(), strict=True))
    unfound = starts[~found].tolist()  # no marker from there to the end of the data read
    if unfound:  # so their first marker is the first one from the data's last byte on
        marker = find_scan_end(window, lo + max(0, len(data) - 1)) - lo
        if window.read(lo + marker + 1, 1) == b"\xd9":
            out.extend((rel, marker) for rel in unfound)
    return [
        (lo + rel, lo + marker) for rel, marker in out if data[rel : rel + SECTOR] != ZERO_SECTOR
    ]


def _owner(window: Window, lo: int, eoi: int) -> int | None:
    """Start of a JPEG in [lo, eoi) that ends at the EOI marker at `eoi`, walks completely and
    decodes cleanly, if any: the entropy-coded data before that EOI is its own.

    Entropy-coded data never holds an SOI, so the owner's is among the last few before `eoi`.
    """
    for _, start in zip(range(OWNER_SOIS), _sois_before(window, lo, eoi), strict=False):
        result = walk(window, start)
        if result is not None and result.complete and result.end == eoi + 2:
            return start if range_decodes_cleanly(window, start, eoi + 2) else None
    return None


def _sois_before(window: Window, lo: int, hi: int) -> Iterator[int]:
    """Starts of the SOI markers lying wholly in [lo, hi), last first, none overlapping the
    next one found; read backwards a block at a time, since the last few are usually near."""
    limit = hi  # a marker found must end by here
    while True:
        begin = max(lo, limit - OWNER_BLOCK)
        pos = window.read(begin, limit - begin).rfind(SOI)
        if pos >= 0:
            limit = begin + pos
            yield limit
        elif begin == lo:
            return
        else:
            limit = begin + len(SOI) - 1  # a marker across `begin` ends here


Judge = Callable[[int, int, int, int], float | None]  # (split, cont, end, MCU) -> seam score


def bifragment(
    window: Window,
    checker: HuffmanCheck,
    scan_start: int,
    points: Checkpoints,
    bad: int,
    judge: Judge,
) -> tuple[int, int, int] | None:
    """(split, continuation, end after EOI) of a two-fragment JPEG, None when not found.

    Continuations are tried nearest first; for each, the split right at the undecodable
    byte and the 4 KiB-aligned one before it first, so likely pairs come early and the
    work stays bounded.
    """
    foreign = first_foreign_sector(window, scan_start, bad)
    top = foreign if foreign < bad else -(-(bad + 1) // SECTOR) * SECTOR
    heads: list[tuple[int, bytes, Checkpoint]] = []
    splits = list(range(top, max(scan_start, top - MAX_SPLITS * SECTOR), -SECTOR))
    splits.sort(key=lambda split: (split != top, split % CLUSTER != 0, -split))
    for split in splits:
        cp = points.last_before(split - scan_start)
        if cp is not None:
            heads.append((split, window.read(scan_start + cp.raw, split - scan_start - cp.raw), cp))
    if not heads:
        return None
    rate = heads[0][2].raw / max(1, heads[0][2].mcu)  # bytes per MCU in the first fragment
    budget = int(4 * checker.total * (rate + 1)) + (1 << 20)
    search = _Search(window, checker, budget, rate, judge, min(split for split, _, _ in heads))
    conts = _continuations(window, top - SECTOR)
    for group, limit in ((heads[:3], MAX_TRIES // 2), (heads[3:], MAX_TRIES)):
        found = search.pairs(group, conts, limit)
        if found is not None:
            return _smoothest(search, heads, conts, found)
    return None


def _smoothest(
    search: _Search,
    heads: list[tuple[int, bytes, Checkpoint]],
    conts: list[tuple[int, int]],
    found: tuple[int, int, int, float],
) -> tuple[int, int, int]:
    """The pair with the smoothest seam among those near a found pair.

    Other data can stand in for a few sectors of the picture and still decode to the
    right number of MCUs (a random sector after the real split, say, with the
    continuation a few sectors late); the real pair then sits a few sectors away with a
    smoother seam, even when the found one looks smooth enough (see seam_ties).
    """
    split0, cont0, _, _ = found
    decoded = [found]
    for split, head, cp in heads:
        near = near_starts(cont0, split - split0)
        for cont, eoi in conts:
            if cont <= split or cont not in near or (split, cont) == (split0, cont0):
                continue
            end, score, _ = search.attempt(split, head, cp, cont, eoi)
            if end is not None and score is not None:
                decoded.append((split, cont, end, score))
    return seam_ties.choose(decoded)[:3]


def near_starts(cont: int, shift: int) -> set[int]:
    """Continuation starts near a found one `cont` for a split `shift` bytes from the found
    split: the foreign bytes may sit at the end of the head (a split too late, and the
    continuation as late, so the file keeps its length) or at the start of the
    continuation (a start too early, the split right), or both."""
    return {c + k * SECTOR for c in (cont, cont + shift) for k in range(-NEAR, NEAR + 1)}


class _Search:
    """Continuation trials for one file, within a budget of bytes decoded."""

    def __init__(
        self,
        window: Window,
        checker: HuffmanCheck,
        budget: int,
        rate: float,
        judge: Judge,
        lowest_split: int,
    ) -> None:
        self.window, self.checker, self.budget = window, checker, budget
        self.rate = rate  # bytes per MCU in the first fragment
        self.judge = judge
        self.tries = 0
        self.lowest_split = lowest_split
        self.owners: dict[int, int | None] = {}  # EOI -> start of the JPEG that owns its data
        self.attempts: dict[tuple[int, int, int], tuple[int | None, float | None, int]] = {}
        self.trails: dict[int, Trail] = {}  # buffer end -> the MCU starts decoded up to it

    def owned(self, split: int, cont: int, eoi: int) -> bool:
        """Whether the data from `cont` to its EOI belongs to another whole JPEG that starts
        after `split`: a sector holds one file, so it cannot continue this one."""
        if eoi not in self.owners:
            self.owners[eoi] = _owner(self.window, self.lowest_split, eoi)
        owner = self.owners[eoi]
        return owner is not None and split < owner < cont

    def pairs(
        self, heads: list[tuple[int, bytes, Checkpoint]], conts: list[tuple[int, int]], limit: int
    ) -> tuple[int, int, int, float] | None:
        """(split, continuation, end, seam score) of the first pair that decodes, continuations
        nearest first.

        A pair is skipped when the bytes from the continuation to its EOI are out of all
        proportion (6x either way) to what the remaining MCUs need at the first
        fragment's rate, such as a small picture's tail found after a large picture's head,
        or when they lie inside another whole JPEG (a later picture with the same tables
        would otherwise be decoded again and again).
        """
        skip_to: dict[int, int] = {}
        for cont, eoi in conts:
            for split, head, cp in heads:
                if cont <= split or cont < skip_to.get(split, 0):
                    continue
                needed = (self.checker.total - cp.mcu) * (self.rate + 1)
                if not needed / RATIO <= eoi - cont + len(head) <= needed * RATIO + PROBE:
                    continue
                if self.owned(split, cont, eoi):
                    continue
                self.tries += 1
                if self.budget <= 0 or self.tries > limit:
                    return None
                end, score, skip_to[split] = self.attempt(split, head, cp, cont, eoi)
                if end is not None and score is not None and score <= GROSS_SEAM:
                    return split, cont, end, score
        return None

    def attempt(
        self, split: int, head: bytes, cp: Checkpoint, cont: int, eoi: int
    ) -> tuple[int | None, float | None, int]:
        """(end after EOI or None, seam score or None, continuation to skip to) of the pair
        (split, cont), decided once: the searches come back to the same pairs."""
        key = (split, cont, eoi)
        if key not in self.attempts:
            end, skip = self.try_pair(head, cp, cont, eoi)
            score = None if end is None else self.judge(split, cont, end, cp.mcu)
            self.attempts[key] = (end, score, skip)
        return self.attempts[key]

    def try_pair(self, head: bytes, cp: Checkpoint, cont: int, eoi: int) -> tuple[int | None, int]:
        """(end after EOI or None, continuation to skip to when nearer ones cannot work).

        When every MCU is decoded before the EOI, the right continuation is later by about
        the bytes left over (half of them are skipped: the extra data may be denser or
        sparser than the file's); when the EOI comes first, no later one can work.
        """
        total = self.checker.total
        probe = self.window.read(cont, PROBE)
        result = self.checker.check(head + probe, cp.bit, cp.mcu)
        self.budget -= result.end
        if not result.ok and result.mcus < total:
            if result.end < len(head) + len(probe) - 8:
                return None, 0
            joined = head + self.window.read(cont, eoi + 2 - cont)
            at = cont - len(head)
            trail = self.trail(at + len(joined))
            result = self.checker.check_along(joined, cp.bit, cp.mcu, trail, at, cont)
            self.budget -= result.end
        if result.ok:
            return (
                (None, 0)
                if result.end < len(head)
                else (_eoi_end(self.window, result, cont - len(head)), 0)
            )
        reached = cont - len(head) + result.end
        if result.mcus >= total:
            return None, cont + max(SECTOR, (eoi - reached) // 2 // SECTOR * SECTOR - SECTOR)
        return None, eoi if reached >= eoi - 8 else 0

    def trail(self, end: int) -> Trail:
        """The trail of the buffers ending at `end` (a new one; the oldest is dropped)."""
        if end not in self.trails:
            if len(self.trails) >= TRAILS:
                del self.trails[next(iter(self.trails))]
            self.trails[end] = Trail(end)
        return self.trails[end]


def _eoi_end(window: Window, result: Decoded, shift: int) -> int | None:
    if not result.ok or shift + result.end < window.start:
        return None
    marker = shift + result.end
    return marker + 2 if window.read(marker, 2) == b"\xff\xd9" else None
