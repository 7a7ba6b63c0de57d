"""shrink_to_side: exact block means for power-of-two reductions, close to area averaging
otherwise, and the requested size every time."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.media.decode import decode_picture
from scanner.media.resize import shrink_to_side

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


def _photo() -> np.ndarray:
    pictures = sorted(FACES.rglob("*.jpg"))
    if not pictures:
        pytest.skip("../shared/data/faces is absent")
    return decode_picture(max(pictures, key=lambda p: p.stat().st_size).read_bytes())


def test_power_of_two_reduction_is_the_block_mean() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (768, 1024, 3), np.uint8)
    expected = image.reshape(192, 4, 256, 4, 3).mean(axis=(1, 3))
    got = shrink_to_side(image, 256)
    assert got.shape == (192, 256, 3)
    assert np.abs(got.astype(float) - expected).max() <= 1.0  # rounding at each halving


@pytest.mark.parametrize("side", [700, 512, 333, 160, 64])
def test_any_ratio_is_closer_to_area_averaging_than_plain_bilinear(side: int) -> None:
    photo = _photo()
    height, width = photo.shape[:2]
    scale = side / max(height, width)
    size = (round(width * scale), round(height * scale))
    reference = cv2.resize(photo, size, interpolation=cv2.INTER_AREA).astype(float)
    aliased = cv2.resize(photo, size, interpolation=cv2.INTER_LINEAR)
    got = shrink_to_side(photo, side)
    assert (got.shape[1], got.shape[0]) == size
    assert np.abs(got - reference).mean() < np.abs(aliased - reference).mean()


@pytest.mark.parametrize("shape", [(1, 5000), (3, 7, 3), (5000, 2), (100, 100)])
def test_odd_and_thin_shapes_keep_the_aspect(shape: tuple[int, ...]) -> None:
    image = np.full(shape, 200, np.uint8)
    got = shrink_to_side(image, 50)
    assert max(got.shape[:2]) == min(50, max(shape[:2]))
    assert got.min() == got.max() == 200
