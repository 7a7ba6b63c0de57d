"""Which of several reassembled JPEGs that end at the same EOI owns that last fragment.

A truncated head (its true rest overwritten) searches far and can decode into another
file's last fragment: from a sector of old bytes just before it, or from inside it
(Huffman-coded data resynchronises), with the right number of MCUs. Neither the start of
the continuation (the one reaching furthest back) nor the distance to the head tells the
owner every time; the seam does: the owner's picture continues across it, a stranger's
joins two pictures (or passes through garbage). The pair with the smoother seam wins; a
head cut inside its header (all its entropy-coded data in the fragment, no seam) before
any other; equal scores go to the nearer head.
"""

from __future__ import annotations

from scanner.carve.jpeg_headers import header_head
from scanner.carve.jpeg_pairs import heads_of, judge_for
from scanner.carve.registry import Found
from scanner.carve.window import Window

UNJUDGED = float("inf")


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


def owner(window: Window, claims: list[tuple[int, Found]]) -> int:
    """The key of the claim (key, pair) that owns the EOI they all end at."""
    if len(claims) == 1:
        return claims[0][0]

    def rank(claim: tuple[int, Found]) -> tuple[float, int]:
        pair = claim[1]
        split, cont = pair.start + pair.runs[0][1], pair.runs[-1][0]
        return seam(window, pair), abs(cont - split)

    return min(claims, key=rank)[0]
