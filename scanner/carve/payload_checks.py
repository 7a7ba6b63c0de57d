"""Payload checks for files whose header alone says where they end (WebP, BMP).

A size field spans whatever lies on disk; when a file was fragmented or overwritten, the
middle of that span is someone else's bytes. These checks find where the payload stops
being this file's, so such a file is reported partial with the length that validates,
never as a whole file with foreign bytes inside.

- WebP: libwebp decodes random bytes without complaint (neither VP8 nor VP8L detects
  them), but a real bitstream needs every byte it has: cut its last few bytes and libwebp
  reports a premature end. A stream that still decodes without them went out of step
  somewhere (it decoded other bytes as its own) and is not whole. Where: from the
  macroblock row where it desynchronised, the 16x16 block means jump from block to block
  to the end; the bytes the rows above need are found by decoding zero-padded prefixes.
  When no such row is seen, only the headers are kept.
- BMP (and TIFF strips): uncompressed pixel rows continue the rows next to them; a
  sector whose bytes differ from those one row up and one row down far more than the
  file's own earlier sectors do, or about as much as random bytes do, is not this
  picture's (an edge in the picture differs on one side only). Judged from the first
  sector with a row above it: a first fragment may be only a few sectors long.
- Both: a zero sector or another file's header at a sector start inside the payload.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from scanner.carve.jpeg_fragments import SECTOR, ZERO_SECTOR, first_foreign_sector, foreign
from scanner.carve.window import Window

MAX_CHECKED = 64 << 20  # larger files are not decoded (their span is still foreign-checked)
BLOCK = 16  # a VP8 macroblock
CUT = 8  # bytes cut from the end of a stream to see whether it needs them
JUMP_MIN = 15.0  # block-to-block jumps (mean of 0..255) below this are never a seam
JUMP_RATIO = 1.6  # a seam row jumps this many times more than the rows above it
SEAM_LAG = 6 * BLOCK  # garbage can look plausible for up to this many rows
ROW_RATIO = 2.0  # a BMP sector differs from the row above this many times more than usual
ROW_MIN = 72.0  # ... and by at least this much (random bytes: about 85)
ROW_MAX = 78.0  # ... but never needs more (a noisy picture's own rows differ a lot too)


def valid_end(window: Window, start: int, end: int, payload: int, zeros: bool = True) -> int:
    """End of the part of [start, end) no foreign sector lies in (another file's header,
    or zeros unless `zeros` is False: black pixels); `payload` is where the compressed or
    pixel data begins (headers before it are checked by the carver)."""
    lo = max(payload, start + SECTOR)
    if zeros:
        return first_foreign_sector(window, lo, end)
    pos = -(-lo // SECTOR) * SECTOR
    while pos < end:
        block = window.read(pos, min(1 << 20, end - pos))
        for index in range(0, len(block) - len(block) % SECTOR, SECTOR):
            sector = block[index : index + SECTOR]
            if sector != ZERO_SECTOR and foreign(sector):
                return pos + index
        if len(block) < SECTOR:
            return end
        pos += len(block) - len(block) % SECTOR
    return end


ANIMATED = np.zeros((0, 0, 3), np.float32)  # an animation: its frames are not looked at


def _decode(data: bytes) -> np.ndarray | None:
    """The picture's pixels, ANIMATED for an animation, None when it does not decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                if getattr(image, "n_frames", 1) != 1:
                    return ANIMATED
                return np.asarray(image.convert("RGB"), np.float32)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def seam_row(pixels: np.ndarray) -> int | None:
    """First pixel row of the macroblock row from which the picture is garbage, if any."""
    rows, cols = pixels.shape[0] // BLOCK, pixels.shape[1] // BLOCK
    if rows < 3 or cols < 2:
        return None
    means = pixels[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK, 3)
    means = means.mean(axis=(1, 3))
    jumps = np.median(np.abs(np.diff(means, axis=1)).mean(axis=2), axis=1)
    for row in range(2, rows):
        base = float(np.median(jumps[:row]))
        threshold = max(JUMP_MIN, JUMP_RATIO * base)
        if jumps[row] >= threshold and np.mean(jumps[row:] >= 0.8 * threshold) >= 0.9:
            return row * BLOCK  # and garbage to the end: a desynchronised stream stays so
    return None


def _cut_stream(data: bytes, cut: int) -> bytes | None:
    """A still WebP of just the image chunk of `data`, without its last `cut` bytes."""
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if cid in (b"VP8 ", b"VP8L") and size > cut:
            body = data[pos + 8 : pos + 8 + size - cut]
            pad = b"\0" * (len(body) & 1)
            riff = (12 + len(body) + len(pad)).to_bytes(4, "little")
            return b"RIFF" + riff + b"WEBP" + cid + len(body).to_bytes(4, "little") + body + pad
        if cid == b"ANMF":
            return None
        pos += 8 + size + (size & 1)
    return None


def desynchronised(data: bytes) -> bool:
    """Whether the WebP's image stream decodes without its last bytes (see above)."""
    shorter = _cut_stream(data, CUT)
    return shorter is not None and _decode(shorter) is not None


def webp_end(window: Window, start: int, end: int, payload: int) -> int:
    """Where the WebP at [start, end) stops validating (== end when it is whole)."""
    stop = valid_end(window, start, end, payload)
    if stop < end or end - start > MAX_CHECKED:
        return stop
    data = window.read(start, end - start)
    pixels = _decode(data)
    if pixels is None:
        return payload
    if pixels is ANIMATED or not desynchronised(data):
        return end
    seam = seam_row(pixels)
    if seam is None:
        return payload
    keep = max(BLOCK, seam - SEAM_LAG)  # rows well before the seam: decoded from this file

    def enough(cut: int) -> bool:
        decoded = _decode(data[:cut] + bytes(len(data) - cut))
        return decoded is not None and np.array_equal(decoded[:keep], pixels[:keep])

    low = -(-payload // SECTOR)  # sector boundaries, in media coordinates
    high = end // SECTOR
    while low < high:  # the smallest boundary whose prefix decodes the rows above the seam
        middle = (low + high) // 2
        if enough(middle * SECTOR - start):
            high = middle
        else:
            low = middle + 1
    return max(payload, min(end, low * SECTOR))


def bmp_end(window: Window, start: int, end: int, pixels: int, stride: int) -> int:
    """Where the uncompressed BMP at [start, end), pixel rows of `stride` bytes from media
    offset `pixels` on, stops continuing row after row (== end when it never does)."""
    stop = valid_end(window, start, end, pixels, zeros=False)
    if stop < end or end - start > MAX_CHECKED or stride <= 0:
        return stop
    first = -(-(pixels + stride) // SECTOR) * SECTOR  # the first sector with a row above
    count = (end - stride - first) // SECTOR  # ... and with a row below
    if count <= 1:
        return end
    raw = np.frombuffer(window.read(first - stride, count * SECTOR + 2 * stride), np.uint8)
    if len(raw) < count * SECTOR + 2 * stride:
        return end
    rows = raw.astype(np.int16)
    here = rows[stride : stride + count * SECTOR]
    above = np.abs(here - rows[: count * SECTOR]).reshape(count, SECTOR).mean(axis=1)
    below = np.abs(here - rows[2 * stride :]).reshape(count, SECTOR).mean(axis=1)
    scores = np.minimum(above, below)  # an edge in the picture differs from one side only
    # mean score of the sectors before (none before the first: ROW_MIN alone judges it)
    bases = np.concatenate(([0.0], np.cumsum(scores)[:-1] / np.arange(1, count)))
    flagged = np.flatnonzero(scores >= np.clip(ROW_RATIO * bases, ROW_MIN, ROW_MAX))
    return first + int(flagged[0]) * SECTOR if len(flagged) else end
