"""Pixel-level signals that pasting a face leaves behind, measured face vs surroundings.

All measurements are made on an upright crop around the face, scaled so one face unit
(see `regions`) is at most `MAX_UNIT` pixels (`DETAIL_UNIT` for the detail features). Regions by elliptical radius r: the
inner face (r < 0.75: eyes, nose, mouth, which every paste tool replaces) and the ring
(1.35 <= r < 2.0: hair, ears, neck, background). Each feature is a log-ratio, so it
does not depend on the picture's contrast or brightness:

- ``noise_ratio``: sensor/compression noise (Immerkaer residual, trimmed mean over the
  flatter half of each region) of the face over the ring;
- ``noise_colour_ratio``: finest-scale over next-scale noise residual, face minus ring
  (upsampled faces carry smooth, correlated noise; downsampled ones aliased noise);
- ``sharp_face``: fine-scale (sigma 1) over mid-scale (sigma 1 to 2.5) energy inside the
  face; low for faces that went through a low-resolution step (128-px swap models);
- ``sharp_ratio``: the same, face minus ring;
- ``detail_face``: finest-octave over next-octave detail (medians of the squared
  difference-of-Gaussian bands, sigma 0 to 0.7 over 0.7 to 1.4) inside the face, on a
  crop kept at up to `DETAIL_UNIT` pixels per unit, so the top octave of a face that was
  resampled from another picture is still seen after resizing and JPEG; the medians
  ignore the edges of eyes, brows and mouth;
- ``detail_ratio``: the same, face minus ring;
- ``detail_noise``: noise residual (Immerkaer, lower quartile: the flattest pixels) of
  the face over the ring on the same crop, where recompression has not yet averaged
  away the face's own noise.

Tried and left out because they carried little on the calibration composites (see
docs/deepfake.md): colour statistics, chroma noise, a dip of the noise or detail profile
along the blend seam, and mid/coarse-scale sharpness.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_UNIT = 64.0
DETAIL_UNIT = 128.0
INNER = (0.0, 0.75)
RING = (1.35, 2.0)

BASE_FEATURES = (
    "noise_ratio",
    "noise_colour_ratio",
    "sharp_face",
    "sharp_ratio",
    "detail_face",
    "detail_ratio",
    "detail_noise",
)

_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
_NOISE_KERNEL_2 = np.zeros((5, 5), np.float32)
_NOISE_KERNEL_2[::2, ::2] = _NOISE_KERNEL  # the same filter at twice the spacing
_MIN_PIXELS = 40
_EPS = 1e-3


def _maps(crop_rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pixel maps used by every region statistic."""
    luma = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)
    blur1 = cv2.GaussianBlur(luma, (0, 0), 1.0)
    blur2 = cv2.GaussianBlur(luma, (0, 0), 2.5)
    gx = cv2.Sobel(blur2, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(blur2, cv2.CV_32F, 0, 1)
    return {
        "noise": np.abs(cv2.filter2D(luma, -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT)),
        "noise2": np.abs(cv2.filter2D(luma, -1, _NOISE_KERNEL_2, borderType=cv2.BORDER_REFLECT)),
        "fine": (luma - blur1) ** 2,
        "mid": (blur1 - blur2) ** 2,
        "gradient": np.hypot(gx, gy),
    }


def _flat_level(values: np.ndarray, gradient: np.ndarray) -> float:
    """Mean of `values` over the flatter half of the pixels, top 10 % trimmed (texture, edges)."""
    flat = values[gradient <= np.median(gradient)]
    if not flat.size:
        return float("nan")
    return float(flat[flat <= np.quantile(flat, 0.9)].mean())


def _region_stats(maps: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, float] | None:
    if int(mask.sum()) < _MIN_PIXELS:
        return None
    gradient = maps["gradient"][mask]
    noise = float(np.log(_flat_level(maps["noise"][mask], gradient) + _EPS))
    noise2 = float(np.log(_flat_level(maps["noise2"][mask], gradient) + _EPS))
    fine, mid = float(maps["fine"][mask].mean()), float(maps["mid"][mask].mean())
    return {
        "noise": noise,
        "colour": noise - noise2,
        "sharp": float(np.log((fine + _EPS) / (mid + _EPS))),
    }


def detail_features(crop_rgb: np.ndarray, radius: np.ndarray) -> dict[str, float]:
    """The ``detail_*`` features of a crop at up to `DETAIL_UNIT` px per unit.

    Empty if the face or the ring is too small.
    """
    luma = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)
    blur1 = cv2.GaussianBlur(luma, (0, 0), 0.7)
    blur2 = cv2.GaussianBlur(blur1, (0, 0), 1.2)  # 0.7 then 1.2: sigma 1.4 in all
    fine, mid = (luma - blur1) ** 2, (blur1 - blur2) ** 2
    noise = np.abs(cv2.filter2D(luma, -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT))
    slopes, noises = [], []
    for low, high in (INNER, RING):
        mask = (radius >= low) & (radius < high)
        if int(mask.sum()) < _MIN_PIXELS:
            return {}
        slopes.append(float(np.log((np.median(fine[mask]) + _EPS) / (np.median(mid[mask]) + _EPS))))
        noises.append(float(np.log(np.quantile(noise[mask], 0.25) + _EPS)))
    return {
        "detail_face": slopes[0],
        "detail_ratio": slopes[0] - slopes[1],
        "detail_noise": noises[0] - noises[1],
    }


def base_features(crop_rgb: np.ndarray, radius: np.ndarray) -> dict[str, float] | None:
    """The noise and sharpness features of a normalised face crop, None if regions are empty."""
    maps = _maps(crop_rgb)
    face = _region_stats(maps, (radius >= INNER[0]) & (radius < INNER[1]))
    ring = _region_stats(maps, (radius >= RING[0]) & (radius < RING[1]))
    if face is None or ring is None:
        return None
    return {
        "noise_ratio": face["noise"] - ring["noise"],
        "noise_colour_ratio": face["colour"] - ring["colour"],
        "sharp_face": face["sharp"],
        "sharp_ratio": face["sharp"] - ring["sharp"],
    }
