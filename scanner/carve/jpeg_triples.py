"""JPEGs in three pieces: the two-piece search applied again once.

A broken baseline JPEG that pairs with no last fragment (jpeg_pairs) may continue in a
middle piece: sectors that carry on the head's entropy-coded data cleanly for a while
and then break, as the head did, with the last fragment elsewhere. Middles are looked
for within MIDDLE_REACH of the head, either side, at sector starts no file holds whose
first MIN_MIDDLE bytes hold no marker; one must decode on from a head's last MCU start
through at least MIN_MIDDLE bytes and stop short of the last MCU. Head and middle, the
middle cut at a sector boundary at or before its break, are then the head of a
two-piece search against the orphan EOIs (jpeg_pairs). A result decodes every MCU to
EOI with no libjpeg warning and both seams smooth (seam_ties.SMOOTH), and is the only
cut of head and middle that does so at that EOI: one more join is one more chance of a
coincidence, so where two fit, neither is taken. Its three runs are listed in file
order. A last fragment a pair also claims goes to the pair (see reassemble).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scanner.carve.jpeg_fragments import (
    _NOT_MARKER,
    EOI_CODE,
    MAX_SPLITS,
    MAX_TRIES,
    SECTOR,
    ZERO_SECTOR,
    Judge,
    _Search,
)
from scanner.carve.jpeg_huffman import Checkpoint, HuffmanCheck
from scanner.carve.jpeg_pairs import DECODE_BUDGET, Head, Orphans, _try_eoi, heads_of
from scanner.carve.jpeg_structure import Layout, walk
from scanner.carve.libjpeg_check import clean_decode, seam_at
from scanner.carve.registry import Found
from scanner.carve.seam_ties import SMOOTH
from scanner.carve.window import Window

MIDDLE_REACH = 8 << 20  # bytes either side of the head where middles are looked for
MIN_MIDDLE = 2 * SECTOR  # a middle piece holds at least this much of the file
MAX_RUN = 1 << 20  # bytes of one clean run decoded as a middle at most
MAX_MIDDLES = 16  # middles (the longest runs first) whose data goes on from a head
SHALLOW = 3  # sector starts of a run where a middle may start (the run's first ones)


def pair_three(window: Window, start: int, orphans: Orphans, fallback: Found) -> Found | None:
    """The JPEG at `start` reassembled from three pieces, None when none fits."""
    found = heads_of(window, start)
    result = walk(window, start)
    if found is None or result is None:
        return None
    checker, heads, rate = found
    search = _Search(window, checker, 0, rate, _no_judge, heads[-1][0])
    search.budget = int(DECODE_BUDGET * checker.total * (rate + 1)) + (32 << 20)
    tried = 0
    for middle, run in _middles(window, orphans, start, heads[0][0]):
        if search.budget <= 0 or search.tries > MAX_TRIES:
            return None
        probe = window.read(middle, MIN_MIDDLE + SECTOR)  # read once for every head
        going_on = [head for head in heads if _goes_on(search, head, probe)]
        if not going_on:
            continue  # the head's data does not go on here
        tried += 1
        if tried > MAX_MIDDLES:
            return None
        data = window.read(middle, run)
        cuts = [
            (split, cp, head2)
            for split, head, cp in going_on
            for head2 in _middle_heads(checker, head, cp, data, middle)
        ]
        if cuts:
            fit = _last_piece(search, orphans, result.layout, start, middle, cuts)
            if fit is not None:
                split, split2, cont, end = fit
                pieces = ((start, split - start), (middle, split2 - middle), (cont, end - cont))
                return Found("jpg", pieces, True, fallback)
    return None


def _no_judge(split: int, cont: int, end: int, mcu: int) -> float | None:
    return None  # replaced by each head's three-piece judge


def _goes_on(search: _Search, head: Head, probe: bytes) -> bool:
    """Whether the head's entropy-coded data decodes on cleanly through MIN_MIDDLE bytes
    of `probe`, the first bytes of a possible middle."""
    _, data, cp = head
    decoded = search.checker.check(data + probe, cp.bit, cp.mcu)
    search.budget -= decoded.end
    return decoded.ok or decoded.end - len(data) >= MIN_MIDDLE


def _middles(window: Window, orphans: Orphans, start: int, split: int) -> Iterator[tuple[int, int]]:
    """(sector start, length of its clean run) of possible middles, the longest runs first
    (a middle's runs on to its end, other bytes' rarely for long), then the nearest.

    A run is entropy-coded-looking data up to a marker other than EOI (a run ending at an
    EOI is a last piece, the two-piece search's); a middle starts in its first sectors,
    which no file holds, which are not zeros and which lie outside the head."""
    lo = max(window.start, start - MIDDLE_REACH) // SECTOR * SECTOR
    hi = min(window.end, split + MIDDLE_REACH)
    raw = np.frombuffer(window.read(lo, hi - lo + MAX_RUN), np.uint8)
    if len(raw) < MIN_MIDDLE:
        return
    ffs = np.flatnonzero(raw[:-1] == 0xFF)
    markers = ffs[~_NOT_MARKER[raw[ffs + 1]]]
    markers = np.append(markers, len(raw) - 1)  # the data read ends a run too
    starts = np.arange(0, min(hi - lo, len(raw) - MIN_MIDDLE), SECTOR)
    ends = markers[np.searchsorted(markers, starts)]
    first = np.ones(len(starts), np.bool_)  # the first SHALLOW sector starts of each run
    first[SHALLOW:] = ends[SHALLOW:] != ends[:-SHALLOW]
    media = starts + lo
    keep = (ends - starts >= MIN_MIDDLE) & first & ((media < start) | (media >= split))
    keep &= raw[np.minimum(ends + 1, len(raw) - 1)] != EOI_CODE
    candidates, runs = media[keep], (ends - starts)[keep]
    order = np.lexsort((np.abs(candidates - split), -runs))  # longest run first
    for pos, run in zip(candidates[order].tolist(), runs[order].tolist(), strict=True):
        if not orphans.spans.covers(pos) and window.read(pos, SECTOR) != ZERO_SECTOR:
            yield pos, min(MAX_RUN, run + SECTOR)


def _middle_heads(
    checker: HuffmanCheck, head: bytes, cp: Checkpoint, data: bytes, middle: int
) -> list[Head]:
    """Heads for the last piece: the head's bytes from its last MCU start and the middle
    at `middle` (its clean run `data`), cut at sector boundaries at or before where the
    middle stops decoding and MIN_MIDDLE or more into it; none when it is no middle."""
    joined = head + data
    decoded, points = checker.check_points(joined, cp.bit, cp.mcu)
    reach = decoded.end - len(head)  # bytes of the middle decoded cleanly
    if decoded.ok or decoded.mcus >= checker.total or reach < MIN_MIDDLE:
        return []  # it ends the file (the two-piece search's case), or breaks at once
    top = (middle + reach) // SECTOR * SECTOR
    heads = []
    lowest = max(middle + MIN_MIDDLE, top - (MAX_SPLITS - 1) * SECTOR)
    for split2 in range(top, lowest - 1, -SECTOR):
        cut = len(head) + split2 - middle
        cp2 = points.last_before(cut)
        if cp2 is not None and cp2.raw >= len(head):
            heads.append((split2, joined[cp2.raw : cut], cp2))
    return heads


def _judge3(
    window: Window, start: int, layout: Layout, split: int, cp: Checkpoint, middle: int
) -> Judge:
    """Seam score of the three-piece file (the rougher of its two seams), None when
    libjpeg warns or the MCU rows after either seam come apart."""
    first = window.read(start, split - start)

    def judge(split2: int, cont: int, end: int, mcu: int) -> float | None:
        data = first + window.read(middle, split2 - middle) + window.read(cont, end - cont)
        image = clean_decode(data)
        if image is None:
            return None
        seams = seam_at(image, layout, cp.mcu), seam_at(image, layout, mcu)
        return None if seams[0] is None or seams[1] is None else max(seams[0], seams[1])

    return judge


def _last_piece(
    search: _Search,
    orphans: Orphans,
    layout: Layout,
    start: int,
    middle: int,
    cuts: list[tuple[int, Checkpoint, Head]],
) -> tuple[int, int, int, int] | None:
    """(split, split in the middle, last piece's start, end after EOI) at the nearest
    orphan EOI where some cut of head and middle fits, when only one does."""
    top = max(head2[0] for _, _, head2 in cuts)
    for eoi in orphans.nearest(top, middle):
        fits = []
        for split, cp, head2 in cuts:
            if search.tries > MAX_TRIES or search.budget <= 0:
                return None
            # a judge of its own for this head split, and no attempt kept from another's
            search.judge = _judge3(search.window, start, layout, split, cp, middle)
            search.attempts = {}
            pair = _try_eoi(search, orphans, [head2], middle, eoi, None)
            if pair is not None and pair[3] <= SMOOTH:
                fits.append((pair[3], split, pair[0], pair[1], pair[2]))
        if len(fits) == 1:
            _, split, split2, cont, end = fits[0]
            return split, split2, cont, end
        if fits:
            return None  # several ways fit: the validation no longer tells which is right
    return None
