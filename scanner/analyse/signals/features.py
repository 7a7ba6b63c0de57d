"""Pixel-level signals that pasting a face leaves behind, measured face vs surroundings.

All measurements are made on an upright crop around the face, scaled so one face unit
(see `regions`) is at most `MAX_UNIT` pixels (`DETAIL_UNIT` for the detail features).
Regions by elliptical radius r: the inner face (r < 0.75: eyes, nose, mouth, which every
paste tool replaces) and the ring (1.35 <= r < 2.0: hair, ears, neck, background). Each
feature is a log-ratio, so it does not depend on the picture's contrast or brightness:

- ``sharp_face``: fine-scale (sigma 1) over mid-scale (sigma 1 to 2.5) energy inside the
  face; low for faces that went through a low-resolution step (128-px swap models);
- ``sharp_ratio``: the same, face minus ring;
- ``detail_face``: finest-octave over next-octave detail (medians of the squared
  difference-of-Gaussian bands, sigma 0 to 0.7 over 0.7 to 1.4) inside the face, on a
  crop kept at up to `DETAIL_UNIT` pixels per unit, so the top octave of a face that was
  resampled from another picture is still seen after resizing and JPEG; the medians
  ignore the edges of eyes, brows and mouth;
- ``detail_ratio``: the same, face minus ring.

Tried and left out because they carried little on the calibration composites (see
docs/deepfake.md): colour statistics, chroma noise, a dip of the noise or detail profile
along the blend seam, mid/coarse-scale sharpness, and the noise level and noise grain of
face vs ring (on the 64-px and on the 128-px crop: within the calibration people the
score was as good or better without them; see bench/deepfake_select.py).
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_UNIT = 64.0
DETAIL_UNIT = 128.0
INNER = (0.0, 0.75)
RING = (1.35, 2.0)

BASE_FEATURES = (
    "sharp_face",
    "sharp_ratio",
    "detail_face",
    "detail_ratio",
)

_MIN_PIXELS = 40
_EPS = 1e-3


def _bands(crop_rgb: np.ndarray, fine: float, mid: float) -> tuple[np.ndarray, np.ndarray]:
    """Squared luma detail finer than sigma `fine`, and between sigmas `fine` and `mid`."""
    luma = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)
    blur1 = cv2.GaussianBlur(luma, (0, 0), fine)
    blur2 = cv2.GaussianBlur(luma, (0, 0), mid)
    return (luma - blur1) ** 2, (blur1 - blur2) ** 2


def _sharpness(fine: np.ndarray, mid: np.ndarray, mask: np.ndarray) -> float | None:
    """Log ratio of mean fine-scale to mean mid-scale energy in `mask`, None if too small."""
    if int(mask.sum()) < _MIN_PIXELS:
        return None
    return float(np.log((fine[mask].mean() + _EPS) / (mid[mask].mean() + _EPS)))


def detail_features(crop_rgb: np.ndarray, radius: np.ndarray) -> dict[str, float]:
    """The ``detail_*`` features of a crop at up to `DETAIL_UNIT` px per unit.

    Empty if the face or the ring is too small.
    """
    fine, mid = _bands(crop_rgb, 0.7, 1.4)
    slopes = []
    for low, high in (INNER, RING):
        mask = (radius >= low) & (radius < high)
        if int(mask.sum()) < _MIN_PIXELS:
            return {}
        slopes.append(float(np.log((np.median(fine[mask]) + _EPS) / (np.median(mid[mask]) + _EPS))))
    return {"detail_face": slopes[0], "detail_ratio": slopes[0] - slopes[1]}


def base_features(crop_rgb: np.ndarray, radius: np.ndarray) -> dict[str, float] | None:
    """The sharpness features of a normalised face crop, None if a region is too small."""
    fine, mid = _bands(crop_rgb, 1.0, 2.5)
    face = _sharpness(fine, mid, (radius >= INNER[0]) & (radius < INNER[1]))
    ring = _sharpness(fine, mid, (radius >= RING[0]) & (radius < RING[1]))
    if face is None or ring is None:
        return None
    return {"sharp_face": face, "sharp_ratio": face - ring}
