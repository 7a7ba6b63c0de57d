"""Face detectors on real photos: MTCNN (bundled), YuNet and UltraFace (../shared)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.inference.manifest import builtin_manifest_dir, discover, load_manifest
from scanner.inference.results import Detections
from scanner.inference.session import load_adapter
from tests.inference.inference_support import face_photo

PHOTOS = [
    "face_recognition/obama.jpg",
    "face_recognition/biden.jpg",
    "face_recognition/obama-240p.jpg",
    "face_recognition/32bit.png",
    "deepface/img1.jpg",
    "deepface/img47.jpg",
    "deepface/img20.jpg",
]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _check_geometry(found: Detections, rgb: np.ndarray) -> None:
    height, width = rgb.shape[:2]
    assert np.all(found.boxes[:, 0] < found.boxes[:, 2]) and np.all(
        found.boxes[:, 1] < found.boxes[:, 3]
    )
    assert np.all(found.boxes >= 0) and np.all(found.boxes[:, [0, 2]] <= width)
    assert np.all((found.scores > 0) & (found.scores <= 1))
    for box, points in zip(found.boxes, found.landmarks, strict=True):
        if not np.isfinite(points).all():
            continue
        assert points[0, 0] < points[1, 0], "image-left eye first"
        assert points[3, 0] < points[4, 0], "image-left mouth corner first"
        assert points[0, 1] < points[3, 1] and points[1, 1] < points[4, 1], "eyes above mouth"
        margin = 0.25 * (box[2] - box[0])
        assert np.all(points[:, 0] > box[0] - margin) and np.all(points[:, 0] < box[2] + margin)


def _face_free() -> np.ndarray:
    """A smooth gradient with mild noise: no face anywhere."""
    rng = np.random.default_rng(5)
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    picture = np.stack(
        [np.tile(ramp, (480, 1)), np.tile(ramp[::-1], (480, 1)), np.full((480, 640), 90.0)], axis=2
    )
    return np.clip(picture + rng.normal(0, 8, picture.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def mtcnn():
    return load_adapter(load_manifest(builtin_manifest_dir() / "mtcnn.yaml"))


@pytest.mark.parametrize("photo", PHOTOS)
def test_mtcnn_finds_the_face(mtcnn, photo: str) -> None:
    rgb = face_photo(photo)
    found = mtcnn.detect(rgb)
    assert len(found) >= 1
    assert found.has_landmarks.all()
    _check_geometry(found, rgb)


def test_mtcnn_counts_and_separates_people(mtcnn) -> None:
    rgb = face_photo("face_recognition/two_people.jpg")
    found = mtcnn.detect(rgb)
    assert len(found) == 2
    centres = sorted(((found.boxes[:, 0] + found.boxes[:, 2]) / 2).tolist())
    assert centres[0] < rgb.shape[1] / 2 < centres[1]


def test_mtcnn_nothing_on_face_free_and_tiny_pictures(mtcnn) -> None:
    assert len(mtcnn.detect(_face_free())) == 0
    assert len(mtcnn.detect(np.zeros((1, 1, 3), dtype=np.uint8))) == 0
    assert len(mtcnn.detect(np.full((8, 3000, 3), 200, dtype=np.uint8))) == 0


def test_mtcnn_coordinates_follow_the_picture_scale(mtcnn) -> None:
    rgb = face_photo("deepface/img1.jpg")
    half = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
    big, small = mtcnn.detect(rgb), mtcnn.detect(half)
    assert _iou(big.boxes[0], small.boxes[0] * 2) > 0.8


def test_yunet_matches_opencv_face_detector_yn(home: Path) -> None:
    manifest = discover(home).get("yunet-n")
    if manifest is None:
        pytest.skip("yunet-n not available")
    ours = load_adapter(manifest, home)
    path = str(manifest.locate("model", home))
    for photo in PHOTOS + ["face_recognition/two_people.jpg"]:
        rgb = face_photo(photo)
        if max(rgb.shape[:2]) > 640:
            ratio = 640 / max(rgb.shape[:2])
            size = (round(rgb.shape[1] * ratio), round(rgb.shape[0] * ratio))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        reference = cv2.FaceDetectorYN.create(path, "", (bgr.shape[1], bgr.shape[0]), 0.6, 0.45, 50)
        _, faces = reference.detect(bgr)
        faces = np.zeros((0, 15)) if faces is None else faces
        found = ours.detect(rgb)
        _check_geometry(found, rgb)
        assert len(found) >= 1
        for face in faces[faces[:, 14] ** 2 >= 0.6]:
            box = np.array([face[0], face[1], face[0] + face[2], face[1] + face[3]])
            best = max(_iou(box, mine) for mine in found.boxes)
            assert best > 0.85, photo
            nearest = int(np.argmax([_iou(box, mine) for mine in found.boxes]))
            points = face[4:14].reshape(5, 2)
            assert np.abs(found.landmarks[nearest] - points).max() < 3.0, photo


def test_yunet_nothing_on_face_free(home: Path) -> None:
    manifest = discover(home).get("yunet-n")
    if manifest is None:
        pytest.skip("yunet-n not available")
    assert len(load_adapter(manifest, home).detect(_face_free())) == 0


def test_ultraface_finds_faces_without_landmarks(home: Path) -> None:
    manifest = discover(home).get("ultraface-rfb-320")
    if manifest is None:
        pytest.skip("ultraface-rfb-320 not available")
    detector = load_adapter(manifest, home)
    for photo in ("face_recognition/obama.jpg", "face_recognition/two_people.jpg"):
        rgb = face_photo(photo)
        found = detector.detect(rgb)
        assert len(found) >= 1
        assert not found.has_landmarks.any()
        _check_geometry(found, rgb)
    assert len(detector.detect(face_photo("face_recognition/two_people.jpg"))) == 2
    assert len(detector.detect(_face_free())) == 0


def test_small_pictures_are_enlarged_to_find_small_faces() -> None:
    manifest = load_manifest(builtin_manifest_dir() / "mtcnn.yaml")
    rgb = face_photo("face_recognition/obama.jpg")
    tiny = cv2.resize(rgb, (rgb.shape[1] // 28, rgb.shape[0] // 28), interpolation=cv2.INTER_AREA)
    enlarged = load_adapter(manifest).detect(tiny)
    assert len(enlarged) == 1
    _check_geometry(enlarged, tiny)
    assert enlarged.boxes[0, 2] <= tiny.shape[1] and enlarged.boxes[0, 3] <= tiny.shape[0]
    plain = type(manifest)(
        **{**manifest.__dict__, "params": {**manifest.params, "upscale_below": 0}}
    )
    assert len(load_adapter(plain).detect(tiny)) == 0


def test_mtcnn_network_input_is_the_keras_normalisation_transposed() -> None:
    from scanner.inference.mtcnn_detector import _network_input

    images = np.random.default_rng(3).integers(0, 256, (2, 7, 5, 3), dtype=np.uint8)
    expected = (images.transpose(0, 2, 1, 3).astype(np.float32) - 127.5) / 128.0
    got = _network_input(images)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    assert np.array_equal(got, expected)


def test_mtcnn_strips_and_small_batches_change_no_bit(mtcnn, monkeypatch) -> None:
    import scanner.inference.mtcnn_detector as module

    rgb = face_photo("face_recognition/obama.jpg")
    group = np.hstack([rgb, face_photo("deepface/img1.jpg")[: rgb.shape[0], : rgb.shape[1]]])
    runs = []

    class CountingPnet:
        def run(self, *args):
            runs.append(args)
            return pnet.run(*args)

    pnet = mtcnn.pnet
    monkeypatch.setattr(mtcnn, "pnet", CountingPnet())
    split = mtcnn.detect(group)
    monkeypatch.setattr(mtcnn, "pnet", pnet)
    levels = len(mtcnn._scales(600, 800))  # the picture as detected: longer side 800
    assert len(split) >= 2 and len(runs) > levels + 4  # the large levels ran in strips
    monkeypatch.setattr(module, "STRIP_CELLS", 10**6)
    monkeypatch.setattr(module, "BATCH", 10**6)
    whole = mtcnn.detect(group)
    assert np.array_equal(split.boxes, whole.boxes) and np.array_equal(split.scores, whole.scores)
    assert np.array_equal(split.landmarks, whole.landmarks)


def test_mtcnn_pnet_strips_equal_one_run_at_every_width(mtcnn, monkeypatch) -> None:
    import scanner.inference.mtcnn_detector as module

    monkeypatch.setattr(module, "STRIP_CELLS", 8)
    rng = np.random.default_rng(7)
    for width in range(12, 120):
        level = rng.integers(0, 256, (23, width, 3), dtype=np.uint8)
        strips = mtcnn._pnet(level)
        whole = mtcnn.pnet.run(None, {"input_1": module._network_input(level[None])})
        for got, expected in zip(strips, whole, strict=True):
            assert got.shape == expected.shape and np.array_equal(got, expected), width
