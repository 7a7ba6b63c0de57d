"""The MCU rows after a seam come apart when the tail is another picture's (mcu_rows)."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.carve.libjpeg_check import clean_decode
from scanner.carve.mcu_rows import torn

from .conftest import SHARED, encode, photo


def _grey(data: bytes) -> np.ndarray:
    image = clean_decode(data)
    assert image is not None
    return image


def _relaid(head: np.ndarray, other: np.ndarray, row: int) -> np.ndarray:
    """`head`'s rows above `row`, then `other`'s 2x2 MCUs in their order laid out at the
    head's width, as a tail of another picture decodes after a head."""
    height, width = head.shape
    mcus = other[: other.shape[0] // 2 * 2, : other.shape[1] // 2 * 2]
    mcus = mcus.reshape(mcus.shape[0] // 2, 2, mcus.shape[1] // 2, 2).transpose(0, 2, 1, 3)
    mcus = mcus.reshape(-1, 2, 2)
    across = width // 2
    needed = min(len(mcus), (height - row) // 2 * across) // across * across
    tail = mcus[:needed].reshape(-1, across, 2, 2).transpose(0, 2, 1, 3).reshape(-1, across * 2)
    out = head[:, : across * 2].copy()
    out[row : row + tail.shape[0]] = tail
    return out


def _pictures() -> list[np.ndarray]:
    made = [encode(photo(w, h, seed=s), "JPEG", quality=85) for w, h, s in
            [(640, 480, 1), (512, 384, 2), (800, 304, 3)]]  # fmt: skip
    real = sorted(SHARED.glob("faces/deepface/img*.jpg"))[:12]
    return [_grey(data) for data in made + [path.read_bytes() for path in real]]


def test_a_pictures_own_rows_never_come_apart():
    for image in _pictures():  # Pillow and these photos: 4:2:0, MCUs two blocks high
        for row in range(0, image.shape[0], 2):
            assert not torn(image, row, 2), row


@pytest.mark.parametrize("width", [496, 528, 720])
def test_another_pictures_rows_laid_at_this_width_come_apart(width: int):
    head = _grey(encode(photo(640, 480, seed=5), "JPEG", quality=85))
    other = _grey(encode(photo(width, 400, seed=6), "JPEG", quality=85))
    for row in (10, 30, 44):
        assert torn(_relaid(head, other, row), row, 2)


def test_mcus_one_block_high_are_not_judged():
    image = _grey(encode(photo(320, 240, seed=7), "JPEG", quality=85, subsampling=0))
    noise = np.random.default_rng(1).integers(0, 255, image.shape).astype(np.uint8)
    assert not torn(noise, 0, 1)
    assert not torn(image, 0, 1)
