"""Whether the MCU rows after a JPEG seam come apart: the tail is another picture's.

A second fragment cut from another picture can be joined to a head and still decode
cleanly: the Huffman decoder falls back in step within a few codes, encoders such as
Pillow's share their tables, and among the many sectors the search may start such a tail
at, one can end at its EOI with exactly the MCUs the head still needs. Its DC values go
on from the head's, so the seam itself can look smooth. But its MCUs are laid out at the
head's width and from wherever the decoder fell back in step, so each MCU row no longer
continues the one above it, while the pixel rows inside one MCU row, decoded from the
same MCUs, still continue each other.

At 1/8 scale (a pixel a block) the difference across each MCU row boundary after the
seam is compared with the difference between the first two pixel rows below it; this
needs MCUs two blocks high (vertical chroma subsampling, as cameras and Pillow use).
Measured: on 53 real 4:2:0 photos (the project's face and deepfake test pictures), at
every MCU row taken as a seam (2,818 with enough rows below), the ratio of medians is at
most 1.49; on the carve benchmark's disks, right pairs at most 1.13, heads joined to
other pictures' last pieces 2.3 and more.
"""

from __future__ import annotations

import numpy as np

TORN = 2.0  # boundaries differ this many times more than the rows inside MCU rows
MIN_BOUNDARIES = 4  # MCU row boundaries below the seam needed to tell
FLOOR = 0.5  # grey levels: rows that differ less than this are alike


def torn(image: np.ndarray, row: int, rows: int) -> bool:
    """Whether, in `image` (1/8 scale, grey; MCU rows `rows` pixels high), the MCU rows
    below the one starting at pixel row `row` join each other far worse than the pixel
    rows inside them do."""
    if rows < 2:
        return False
    pixels = image.astype(np.int16)
    bounds = np.arange(row + rows, pixels.shape[0] - rows + 1, rows)
    if len(bounds) < MIN_BOUNDARIES:
        return False
    across = np.abs(pixels[bounds] - pixels[bounds - 1]).mean(axis=1)
    inside = np.abs(pixels[bounds + 1] - pixels[bounds]).mean(axis=1)
    return float(np.median(across)) >= TORN * max(float(np.median(inside)), FLOOR)
