"""The matrix PDQ equals the reference hasher (pdqhash) bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdqhash
import pytest

from scanner.hashing.pdq_fast import pdq_bits
from scanner.media.decode import decode_picture

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


def assert_same(rgb: np.ndarray) -> None:
    expected, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    bits, got_quality = pdq_bits(rgb)
    assert got_quality == quality
    assert np.array_equal(bits, np.asarray(expected, dtype=np.uint8))


@pytest.mark.parametrize(
    "shape", [(64, 64), (5, 5), (129, 300), (384, 512), (512, 341), (1000, 77), (767, 1023)]
)
def test_equals_pdqhash_on_every_shape(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    coarse = rng.integers(0, 256, (max(1, shape[0] // 8), max(1, shape[1] // 8), 3), np.uint8)
    rgb = np.kron(coarse, np.ones((8, 8, 1), np.uint8))[: shape[0], : shape[1]]
    rgb = np.pad(rgb, ((0, shape[0] - rgb.shape[0]), (0, shape[1] - rgb.shape[1]), (0, 0)))
    noise = rng.integers(0, 20, rgb.shape, np.uint8)
    assert_same(np.ascontiguousarray(rgb // 2 + noise))


def test_tiny_pictures_hash_like_the_reference() -> None:
    assert_same(np.zeros((4, 4, 3), np.uint8))


def test_flat_picture_has_quality_zero() -> None:
    # Its DCT is rounding noise, so the bits mean nothing (the matcher ignores quality 0).
    flat = np.full((100, 80, 3), 128, np.uint8)
    assert pdq_bits(flat)[1] == pdqhash.compute(flat)[1] == 0


@pytest.mark.skipif(not FACES.is_dir(), reason="../shared/data/faces absent")
def test_equals_pdqhash_on_real_photos() -> None:
    photos = sorted(FACES.rglob("*.jp*g"))[:25]
    assert photos
    for photo in photos:
        data = photo.read_bytes()
        for side in (512, 200, None):
            assert_same(decode_picture(data, max_side=side))
