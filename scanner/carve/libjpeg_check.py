"""Fast whole-file JPEG check with libjpeg (through OpenCV), warnings included.

libjpeg reports corrupt entropy data ("Corrupt JPEG data: bad Huffman code", "premature end
of data segment", "N extraneous bytes before marker") only as warnings written to the C
stderr, and neither OpenCV nor Pillow expose them. The decode runs with file descriptor 2
pointed at a private temporary file, and any message counts as a failure. Decoding at 1/8
scale keeps it cheap: the entropy-coded data is still decoded in full.
"""

from __future__ import annotations

import os
import tempfile
from typing import IO

import cv2
import numpy as np

from scanner.carve.jpeg_structure import Layout
from scanner.carve.mcu_rows import torn
from scanner.carve.window import Window

_sink: tuple[int, IO[bytes]] | None = None  # (owning process, file): never shared after fork
NEAR = 4  # row pairs just above the seam it is compared with
SEAM_MARGIN = 2.0


def _sink_file() -> IO[bytes]:
    """This process's empty message file. A forked worker makes its own: sharing the
    parent's would mix the workers' libjpeg messages and move each other's file offset.
    Unbuffered, so no cached position can disagree with the descriptor's."""
    global _sink
    if _sink is None or _sink[0] != os.getpid():
        _sink = (os.getpid(), tempfile.TemporaryFile(buffering=0))
    sink = _sink[1]
    sink.seek(0)
    sink.truncate()
    return sink


def clean_decode(data: bytes) -> np.ndarray | None:
    """The picture at 1/8 scale in grey when libjpeg decodes it without any warning."""
    sink = _sink_file()
    saved = os.dup(2)
    os.dup2(sink.fileno(), 2)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    except cv2.error:
        image = None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    sink.seek(0)
    return None if sink.read(1) else image


def decodes_cleanly(data: bytes) -> bool:
    """True when libjpeg decodes `data` to the last line without any warning."""
    return clean_decode(data) is not None


def range_decodes_cleanly(window: Window, start: int, end: int) -> bool:
    """`decodes_cleanly` for the window's bytes [start, end), decided once per window."""
    key = ("libjpeg", start, end)
    if key not in window.checked:
        window.checked[key] = decodes_cleanly(window.read(start, end - start))
    return window.checked[key]


def seam_score(image: np.ndarray, row: int, rows: int) -> float:
    """How much pixel rows `row - 1` and `row + rows` (1/8 scale) differ, against the rows
    above them (about 1 for a smooth join, much more for a visible seam).

    A picture reassembled from the wrong pair decodes, but the data after the seam belongs
    to another picture or is junk: the rows around the seam then differ far more than the
    rows above do. Natural edges can be as strong, so scores are best compared between
    candidate pairs of the same picture.
    """
    height = image.shape[0]
    above, below = row - 1, row + rows
    if above < 1 or below >= height:
        return 1.0
    pixels = image.astype(np.int16)
    gaps = np.abs(pixels[: height - rows - 1] - pixels[rows + 1 :]).mean(axis=1)
    before = gaps[:above]
    usual = max(_median(before), float(before[-NEAR:].max()))
    return float(gaps[above]) / (usual + SEAM_MARGIN)


def _median(values: np.ndarray) -> float:
    """np.median of a 1-D array, without the numpy.ma import np.median costs each worker."""
    ordered = np.sort(values)
    middle = len(ordered) // 2
    return float(ordered[middle] + ordered[(len(ordered) - 1) // 2]) / 2


def pair_seam(
    window: Window, start: int, layout: Layout, split: int, cont: int, end: int, mcu: int
) -> float | None:
    """Seam score of the JPEG at `start` joined from [start, split) and [cont, end) (lower
    is smoother), None when libjpeg warns or the MCU rows after the seam come apart."""
    image = clean_decode(window.read(start, split - start) + window.read(cont, end - cont))
    return None if image is None else seam_at(image, layout, mcu)


def seam_at(image: np.ndarray, layout: Layout, mcu: int) -> float | None:
    """Seam score of a picture decoded at 1/8 scale where MCU `mcu`'s row starts, None when
    the MCU rows after it come apart (see mcu_rows)."""
    hmax = max(h for h, _ in layout.components.values())
    vmax = max(v for _, v in layout.components.values())
    if len(layout.scan) == 1:
        h, v = layout.components[layout.scan[0][0]]
        width = -(-layout.width * h // hmax)
        across, rows = -(-width // 8), vmax // v
    else:
        across, rows = -(-layout.width // (8 * hmax)), vmax
    row = (mcu // across) * rows
    return None if torn(image, row, rows) else seam_score(image, row, rows)
