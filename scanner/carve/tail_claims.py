"""Which of several reassembled JPEGs that end at the same EOI owns that last fragment.

Huffman-coded data resynchronises, so a head can decode into another file's last fragment
with the right number of MCUs: from a sector inside it, or from a sector of other bytes
just before it (a truncated head, whose true rest is overwritten, searches far and meets
both). The run that reaches the EOI from furthest back owns it (the data between it and
the next claim decodes as part of it; see end_claims), unless those bytes hold stuffing
its own encoder never writes: in entropy-coded data every 0xFF is followed by 0x00, or by
a restart marker when the file has a restart interval, while in other bytes that run
clean to the EOI a 0xFF is followed by 0xFF or a restart marker nine times in ten. When
those bytes hold no 0xFF at all, and among claims from the same start, the seam settles
it (the smoother wins, see libjpeg_check), then the nearer head. A head cut inside its header holds all its entropy-coded data in the
fragment (its segments chain to the SOS), so nothing in between is in doubt.
"""

from __future__ import annotations

from scanner.carve.jpeg_headers import header_head
from scanner.carve.jpeg_pairs import heads_of, judge_for
from scanner.carve.jpeg_structure import walk
from scanner.carve.registry import Found
from scanner.carve.window import Window

UNJUDGED = float("inf")
RESTARTS = bytes(range(0xD0, 0xD8))


def seam(window: Window, pair: Found) -> float:
    """Seam score of a two-run JPEG (lower is smoother; 0 for a head cut in its header)."""
    if header_head(window, pair.start) is not None:
        return 0.0
    split = pair.start + pair.runs[0][1]
    cont, length = pair.runs[-1]
    found, judge = heads_of(window, pair.start), judge_for(window, pair.start)
    if found is None or judge is None:
        return UNJUDGED
    for head_split, _, cp in found[1]:
        if head_split == split:
            score = judge(split, cont, cont + length, cp.mcu)
            return UNJUDGED if score is None else score
    return UNJUDGED


def _stuffing(window: Window, pair: Found, until: int) -> bool | None:
    """Whether the claim's bytes from its continuation to `until` hold a 0xFF its encoder
    never writes there: True, False, or None when they hold no 0xFF at all (one sector in
    eight, of either kind). A head cut in its header: never."""
    if header_head(window, pair.start) is not None:
        return False
    result = walk(window, pair.start)
    restart = result is not None and result.layout.restart > 0
    cont = pair.runs[-1][0]
    data = window.read(cont, until - cont + 1)
    pos = data.find(b"\xff")
    if not 0 <= pos < len(data) - 1:
        return None
    while 0 <= pos < len(data) - 1:
        after = data[pos + 1]
        if after == 0xFF or (after in RESTARTS and not restart):
            return True
        pos = data.find(b"\xff", pos + 2)
    return False


def owner(window: Window, claims: list[tuple[int, Found]]) -> int:
    """The key of the claim (key, pair) that owns the EOI they all end at."""
    if len(claims) == 1:
        return claims[0][0]
    starts = sorted({pair.runs[-1][0] for _, pair in claims})
    undecided: list[tuple[int, Found]] = []  # claims further back with no evidence either way
    for index, cont in enumerate(starts):
        here = [claim for claim in claims if claim[1].runs[-1][0] == cont]
        later = starts[index + 1] if index + 1 < len(starts) else None
        verdicts = {_stuffing(window, pair, later) for _, pair in here} if later else {False}
        if verdicts == {True}:
            continue  # the bytes up to the next claim are not JPEG data of theirs
        if False in verdicts or later is None:
            here = undecided + here  # the seam settles those the bytes cannot
            return min(here, key=lambda claim: _rank(window, claim[1]))[0]
        undecided += here
    return min(claims, key=lambda claim: _rank(window, claim[1]))[0]


def _rank(window: Window, pair: Found) -> tuple[float, int]:
    split, cont = pair.start + pair.runs[0][1], pair.runs[-1][0]
    return seam(window, pair), abs(cont - split)
