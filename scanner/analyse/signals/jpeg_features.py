"""JPEG traces face vs surroundings: 8x8 blocking strength and JPEG ghosts.

A face pasted into a JPEG picture and saved again lost the traces of the picture's
first compression (it was warped and resampled), while the rest keeps them. Two
measurements, both on the luminance of 8x8 blocks on the picture's own block grid
(its phase is estimated from the pixels, so EXIF rotation or cropping does not matter):

- ``block_ratio``: blocking strength (step across block edges over steps inside
  blocks), log face minus log ring;
- ``ghost_dist``: the JPEG ghost (Farid 2009): the blocks are recompressed at several
  qualities; each region's error curve, scaled to a maximum of 1, has a dip at any
  quality it was compressed at before. The feature is the mean absolute difference
  between the face's and the ring's curves; ``ghost_low`` / ``ghost_high`` are the
  signed differences (face minus ring) at the lowest and highest quality tried.

Flat blocks (standard deviation below `MIN_BLOCK_STD`) are skipped: a plain backdrop
recompresses without loss at any quality and would make any face look different.
Work is capped: at most `MAX_BLOCKS` blocks per region, recompressed as one greyscale
mosaic per quality (greyscale JPEG blocks are coded independently, so the mosaic
gives exactly the per-block results).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from scanner.analyse.signals.features import INNER, RING
from scanner.analyse.signals.regions import AXES, FaceFrame, point_radius

JPEG_FEATURES = ("block_ratio", "ghost_dist", "ghost_low", "ghost_high")
GHOST_QUALITIES = (50, 60, 70, 80, 90)
MAX_BLOCKS = 256
PHASE_WINDOW = 512
MIN_BLOCK_STD = 2.0  # flat blocks (studio backdrops, blown highlights) carry no JPEG history
_MOSAIC_COLUMNS = 16
_MIN_BLOCKS = 6
_EPS = 1e-3


def grid_phase(luma: np.ndarray) -> tuple[int, int]:
    """(x, y) offset of the 8x8 block grid: where steps between neighbours peak."""
    dx = np.abs(np.diff(luma, axis=1)).mean(axis=0)
    dy = np.abs(np.diff(luma, axis=0)).mean(axis=1)
    per_x = np.array([dx[k::8].mean() for k in range(8)])
    per_y = np.array([dy[k::8].mean() for k in range(8)])
    # A step between columns k and k+1 is a block edge when k + 1 is the grid offset.
    return (int(np.argmax(per_x)) + 1) % 8, (int(np.argmax(per_y)) + 1) % 8


def _window(shape: tuple[int, int], frame: FaceFrame) -> tuple[int, int, int, int]:
    reach = int(math.ceil(RING[1] * AXES[1] * frame.unit)) + 9
    x, y = frame.centre
    return (
        max(0, int(x) - reach),
        max(0, int(y) - reach),
        min(shape[1], int(x) + reach),
        min(shape[0], int(y) + reach),
    )


def _sample(luma: np.ndarray) -> np.ndarray:
    """At most 512x512 pixels from the middle of the window for the grid phase (8-aligned)."""
    height, width = luma.shape
    top = max(0, (height - PHASE_WINDOW) // 2) // 8 * 8
    left = max(0, (width - PHASE_WINDOW) // 2) // 8 * 8
    return luma[top : top + PHASE_WINDOW, left : left + PHASE_WINDOW]


def _pick(indices: np.ndarray) -> np.ndarray:
    if len(indices) <= MAX_BLOCKS:
        return indices
    result: np.ndarray = indices[np.linspace(0, len(indices) - 1, MAX_BLOCKS).round().astype(int)]
    return result


def _blocks(
    luma: np.ndarray, frame: FaceFrame, origin: tuple[int, int], phase: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """9x9 patches (block + next row/column) whose centres are in the face / the ring."""
    height, width = luma.shape
    xs = np.arange(phase[0], width - 8, 8)
    ys = np.arange(phase[1], height - 8, 8)
    if len(xs) == 0 or len(ys) == 0:
        empty = np.zeros((0, 9, 9), np.float32)
        return empty, empty
    mesh_y, mesh_x = np.meshgrid(ys, xs, indexing="ij")
    grid_y, grid_x = mesh_y.ravel(), mesh_x.ravel()
    r = point_radius(frame, grid_x + 4.5 + origin[0], grid_y + 4.5 + origin[1])
    aligned = luma[phase[1] : phase[1] + 8 * len(ys), phase[0] : phase[0] + 8 * len(xs)]
    blocks = aligned.astype(np.float32).reshape(len(ys), 8, len(xs), 8)
    textured = (blocks.std(axis=(1, 3)) >= MIN_BLOCK_STD).ravel()
    out = []
    for low, high in (INNER, RING):
        chosen = _pick(np.nonzero((r >= low) & (r < high) & textured)[0])
        patches = [
            luma[y : y + 9, x : x + 9] for y, x in zip(grid_y[chosen], grid_x[chosen], strict=True)
        ]
        out.append(np.array(patches, np.float32).reshape(-1, 9, 9))
    return out[0], out[1]


def _blockiness(patches: np.ndarray) -> float:
    steps_x = np.abs(np.diff(patches[:, :8, :], axis=2))  # (n, 8, 8): steps 0..7, 7 crosses
    steps_y = np.abs(np.diff(patches[:, :, :8], axis=1))
    edge = steps_x[:, :, 7].mean() + steps_y[:, 7, :].mean()
    inside = steps_x[:, :, :7].mean() + steps_y[:, :7, :].mean()
    return float(np.log((edge + _EPS) / (inside + _EPS)))


def _ghost_curve(blocks: np.ndarray) -> np.ndarray:
    """Mean squared recompression error per quality, scaled so the maximum is 1."""
    count = len(blocks)
    rows = int(math.ceil(count / _MOSAIC_COLUMNS))
    mosaic = np.zeros((rows * 8, _MOSAIC_COLUMNS * 8), np.uint8)
    for i, block in enumerate(blocks):
        r, c = divmod(i, _MOSAIC_COLUMNS)
        mosaic[r * 8 : r * 8 + 8, c * 8 : c * 8 + 8] = block
    errors = []
    for quality in GHOST_QUALITIES:
        ok, encoded = cv2.imencode(".jpg", mosaic, [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded_raw = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded_raw is None:
            return np.full(len(GHOST_QUALITIES), np.nan)
        decoded = decoded_raw.astype(np.float32)
        diff = (decoded - mosaic.astype(np.float32)) ** 2
        used = diff.reshape(rows, 8, _MOSAIC_COLUMNS, 8).mean(axis=(1, 3)).ravel()[:count]
        errors.append(float(used.mean()))
    curve = np.asarray(errors)
    result: np.ndarray = curve / (curve.max() + _EPS)
    return result


def jpeg_features(rgb: np.ndarray, frame: FaceFrame) -> dict[str, float] | None:
    """Blocking and ghost features at native resolution; None if the regions are too small."""
    x0, y0, x1, y1 = _window(rgb.shape[:2], frame)
    if x1 - x0 < 24 or y1 - y0 < 24:
        return None
    window = rgb[y0:y1, x0:x1]
    luma = np.rint(window @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    phase = grid_phase(_sample(luma).astype(np.float32))
    face, ring = _blocks(luma, frame, (x0, y0), phase)
    if len(face) < _MIN_BLOCKS or len(ring) < _MIN_BLOCKS:
        return None
    ghost = _ghost_curve(face[:, :8, :8]) - _ghost_curve(ring[:, :8, :8])
    return {
        "block_ratio": _blockiness(face) - _blockiness(ring),
        "ghost_dist": float(np.abs(ghost).mean()),
        "ghost_low": float(ghost[0]),
        "ghost_high": float(ghost[-1]),
    }
