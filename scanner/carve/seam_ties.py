"""The pair to keep among JPEG pairs that all decode cleanly near one another.

The smoothest seam decides (see libjpeg_check.seam_score) unless another pair with the
same split has a seam too alike to tell apart, or both seams are smooth: a continuation
start a sector late can still decode to the right number of MCUs, the Huffman decoder
running through a few MCUs of the wrong bytes and falling back in step, with only a
small DC shift after them, which in a noisy picture or near its bottom can even look
smoother than the right join. Then the pair whose continuation starts first is kept: the
bytes between the starts hold no marker, as the file's own entropy-coded data never
does, while other bytes hold a 0xFF followed by a marker code in most sectors (six in
seven of random ones). Splitting photo-like pictures at every fifth sector (2,757
splits), the rest without its first sector decoded cleanly 44 times, and the smoothest
seam alone took it in 9 of them; with a foreign marker-free sector before the rest, no
split decoded cleanly.
"""

from __future__ import annotations

TIE = 1.25  # seam scores within this factor of the smoothest are too alike to tell apart
SMOOTH = 1.5  # ... and so are seams this smooth: rows join as the picture's own rows do
Pair = tuple[int, int, int, float]  # (split, continuation start, end, seam score)


def choose(pairs: list[Pair]) -> Pair:
    """The smoothest pair, or the earliest continuation among those tied with it."""
    best = min(pairs, key=lambda pair: pair[3])
    tied = [pair for pair in pairs if pair[0] == best[0] and pair[3] <= max(best[3] * TIE, SMOOTH)]
    return min(tied, key=lambda pair: (pair[1], pair[3]))
