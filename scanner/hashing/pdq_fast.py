"""PDQ as ThreatExchange defines it, computed with matrix products.

The reference hasher blurs the luma with a Jarosz filter (two passes of a box filter
along rows and columns, the window shrinking at the edges), samples 64x64 pixel
centres, takes the 16x16 low frequencies of a DCT and sets each bit where the
coefficient exceeds the median. Every step before the median is linear, so the
blur and the sampling collapse into one 64xH and one 64xW matrix per picture size
(cached). Each of the 64 rows of the first has only a few non-zero taps, so the rows
are reduced by gathering those taps; the columns by one small float32 product. The
result equals pdqhash's (tests compare them on real photos).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

SIDE = 64
PASSES = 2  # the reference's Jarosz X/Y passes (a tent filter)
MIN_SIDE = 5  # the reference hashes smaller pictures as all zeros, quality 0
_LUMA = np.array([[0.299, 0.587, 0.114]], dtype=np.float32)


def _window(length: int) -> int:
    """The reference's box window for reducing `length` samples to 64 (two passes)."""
    return (length + 2 * SIDE - 1) // (2 * SIDE)


def _box(length: int, window: int) -> np.ndarray:
    """The reference box filter as a matrix: output i averages the inputs that exist in
    [i - (window - half), i + half - 1], with half = (window + 2) // 2."""
    half = (window + 2) // 2
    index = np.arange(length)
    low = np.maximum(index - (window - half), 0)
    high = np.minimum(index + half - 1, length - 1)
    columns = np.arange(length)[None, :]
    inside = (columns >= low[:, None]) & (columns <= high[:, None])
    result: np.ndarray = inside / (high - low + 1)[:, None]
    return result


@lru_cache(maxsize=64)
def _reducer(length: int) -> np.ndarray:
    """(64, length) float32: two box passes, then the reference's sample at each centre."""
    box = _box(length, _window(length))
    centres = ((np.arange(SIDE) + 0.5) * length / SIDE).astype(int)
    rows = box[centres]
    for _ in range(PASSES - 1):
        rows = rows @ box
    return np.ascontiguousarray(rows, dtype=np.float32)


@lru_cache(maxsize=64)
def _taps(length: int) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero entries of `_reducer(length)`, row by row: (64, K) indices and
    float32 weights (rows with fewer than K taps padded with weight 0)."""
    reducer = _reducer(length)
    nonzero = reducer != 0
    taps = int(nonzero.sum(axis=1).max())
    index = np.zeros((SIDE, taps), dtype=np.intp)
    weight = np.zeros((SIDE, taps), dtype=np.float32)
    for row in range(SIDE):
        columns = np.flatnonzero(nonzero[row])
        index[row, : len(columns)] = columns
        weight[row, : len(columns)] = reducer[row, columns]
    return index, weight


@lru_cache(maxsize=1)
def _dct() -> np.ndarray:
    """(16, 64): the reference's DCT rows 1..16 (the DC row is left out)."""
    rows = np.arange(1, 17)[:, None]
    columns = np.arange(SIDE)[None, :]
    result: np.ndarray = (
        np.sqrt(2.0 / SIDE) * np.cos(np.pi / 2 / SIDE * rows * (2 * columns + 1))
    ).astype(np.float32)
    return result


def _quality(block: np.ndarray) -> int:
    """The reference's gradient-sum quality (0..100) of the 64x64 block."""
    steps = [np.diff(block, axis=0), np.diff(block, axis=1)]
    total = sum(int(np.abs(np.trunc(step * 100 / 255)).sum()) for step in steps)
    return min(100, total // 90)


def pdq_bits(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """The 256 PDQ bits (pdqhash's vector order) and the quality of an RGB uint8 picture."""
    height, width = rgb.shape[:2]
    if height < MIN_SIDE or width < MIN_SIDE:
        return np.zeros(256, dtype=np.uint8), 0
    luma = cv2.transform(rgb.astype(np.float32), _LUMA)
    if (height, width) == (SIDE, SIDE):
        block = luma
    else:
        index, weight = _taps(height)
        block = np.einsum("ik,ikw->iw", weight, luma[index]) @ _reducer(width).T
    dct = _dct()
    coefficients = (dct @ block @ dct.T).ravel()
    median = np.partition(coefficients, 127)[127]
    bits = (coefficients > median).astype(np.uint8)
    return bits[::-1].copy(), _quality(block)
