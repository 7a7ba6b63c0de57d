"""Five-point alignment: the similarity fit, the warp and the large-face reduction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanner.inference.align import ARCFACE_112, DLIB_150, align_face, similarity_transform


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _moved(template: np.ndarray, scale: float, angle: float, shift: tuple[float, float]):
    c, s = math.cos(angle), math.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return template @ (scale * rotation).T + np.array(shift)


@pytest.mark.parametrize("template", [ARCFACE_112, DLIB_150])
def test_similarity_recovers_an_exact_transform(template: np.ndarray) -> None:
    landmarks = _moved(template, 3.7, 0.4, (120.0, -35.0))
    matrix = similarity_transform(landmarks, template)
    np.testing.assert_allclose(_apply(matrix, landmarks), template, atol=1e-9)


def test_similarity_never_mirrors() -> None:
    mirrored = DLIB_150.copy()
    mirrored[:, 0] = 150 - mirrored[:, 0]
    matrix = similarity_transform(mirrored, DLIB_150)
    assert np.linalg.det(matrix[:, :2]) > 0


def test_align_puts_a_marked_point_on_the_template() -> None:
    landmarks = _moved(DLIB_150, 2.0, 0.0, (40.0, 60.0))
    image = np.zeros((500, 500, 3), dtype=np.uint8)
    nose = landmarks[2].round().astype(int)
    image[nose[1] - 2 : nose[1] + 3, nose[0] - 2 : nose[0] + 3] = 255
    chip = align_face(image, landmarks, DLIB_150, 150)
    assert chip.shape == (150, 150, 3) and chip.dtype == np.uint8
    ys, xs = np.nonzero(chip[:, :, 0] > 100)
    assert abs(xs.mean() - DLIB_150[2, 0]) < 1.0 and abs(ys.mean() - DLIB_150[2, 1]) < 1.0


def test_large_faces_are_reduced_without_moving_the_chip() -> None:
    rng = np.random.default_rng(7)
    small = rng.integers(0, 256, size=(150, 150, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)
    landmarks = DLIB_150 * 8 + 3.5
    chip = align_face(big, landmarks, DLIB_150, 150)
    assert np.abs(chip.astype(int) - small.astype(int)).max() <= 1


def test_bad_shapes_are_refused() -> None:
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"expected shape \(5, 2\), got \(4, 2\)"):
        align_face(image, np.zeros((4, 2)), DLIB_150, 150)
    with pytest.raises(ValueError, match=r"expected shape \(H, W, 3\)"):
        align_face(np.zeros((10, 10)), DLIB_150, DLIB_150, 150)
    with pytest.raises(ValueError, match="distinct"):
        align_face(image, np.zeros((5, 2)), DLIB_150, 150)
