"""NudeNet decoding (checked against NudeNet's own code) and MesoNet deepfake scores."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.inference.analyser import PictureAnalyser
from scanner.inference.manifest import builtin_manifest_dir, discover, load_manifest
from scanner.inference.session import load_adapter
from scanner.media.decode import decode_picture
from tests.inference.inference_support import DEEPFAKES, face_photo


@pytest.fixture(scope="module")
def nudenet():
    return load_adapter(load_manifest(builtin_manifest_dir() / "nudenet_320n.yaml"))


def test_nudenet_labels_faces_and_scores_clothed_people_low(nudenet) -> None:
    for photo in (
        "face_recognition/obama.jpg",
        "face_recognition/two_people.jpg",
        "deepface/img1.jpg",
    ):
        result = nudenet.classify(face_photo(photo))
        faces = [item for item in result.labels if item.label.startswith("FACE_")]
        assert faces, photo
        assert result.score < 0.2, photo
    two = nudenet.classify(face_photo("face_recognition/two_people.jpg"))
    assert len([item for item in two.labels if item.label.startswith("FACE_")]) == 2


def test_nudenet_decode_agrees_with_nudenet_reference(nudenet) -> None:
    reference = pytest.importorskip("nudenet").NudeDetector()
    for photo in (
        "face_recognition/obama.jpg",
        "deepface/img1.jpg",
        "face_recognition/kit_with_rose.jpg",
    ):
        rgb = face_photo(photo)
        theirs = reference.detect(np.ascontiguousarray(rgb[..., ::-1]))
        ours = nudenet.classify(rgb).labels
        for item in theirs:
            if item["score"] < 0.4:
                continue
            x, y, w, h = item["box"]
            same = [
                mine
                for mine in ours
                if mine.label == item["class"]
                and abs(mine.box[0] - x) < 0.1 * w + 3
                and abs(mine.box[2] - (x + w)) < 0.1 * w + 3
            ]
            assert same and abs(same[0].score - item["score"]) < 0.1, (photo, item)


def test_nudenet_tiny_and_extreme_pictures(nudenet) -> None:
    assert nudenet.classify(np.zeros((1, 1, 3), dtype=np.uint8)).score == 0.0
    assert nudenet.classify(np.full((10, 4000, 3), 128, dtype=np.uint8)).score < 0.2


@pytest.fixture(scope="module")
def meso(home: Path):
    manifest = discover(home).get("meso4-df")
    if manifest is None:
        pytest.skip("meso4-df not available")
    return load_adapter(manifest, home)


def _crop(name: str) -> np.ndarray:
    path = DEEPFAKES / "mesonet" / name
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rgb = decode_picture(path.read_bytes())
    return cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_LINEAR)


def test_meso4_df_separates_its_own_test_crops(meso) -> None:
    crops = np.stack(
        [_crop(name) for name in ("df00204.jpg", "df01254.jpg", "real00240.jpg", "real00772.jpg")]
    )
    fake = meso.score_crops(crops)
    np.testing.assert_allclose(fake, 1 - np.array([0.048, 0.025, 0.990, 0.997]), atol=0.01)


def test_deepfake_score_per_face_and_image_max(home: Path) -> None:
    if discover(home).get("meso4-df") is None:
        pytest.skip("meso4-df not available")
    analyser = PictureAnalyser.load(tasks=("deepfake",), choose={"deepfake": "meso4-df"}, home=home)
    assert [ref.name for ref in analyser.models] == ["mtcnn", "meso4-df"]
    result = analyser.analyse(face_photo("face_recognition/two_people.jpg"))
    scores = [face.deepfake for face in result.faces]
    assert len(scores) == 2 and all(score is not None and 0 <= score <= 1 for score in scores)
    assert result.deepfake == max(scores)


def test_nudenet_extreme_aspect_needs_no_square_buffer(nudenet) -> None:
    import tracemalloc

    strip = np.full((2, 200_000, 3), 100, dtype=np.uint8)
    tracemalloc.start()
    result = nudenet.classify(strip)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.score == 0.0
    assert peak < 50_000_000, peak


def test_nudenet_input_is_the_picture_scaled_to_0_1_padded_right_and_bottom(nudenet) -> None:
    rgb = face_photo("face_recognition/kit_with_rose.jpg")  # taller than wide
    side, size = max(rgb.shape[:2]), nudenet.size
    blob, factor = nudenet._blob(rgb)
    assert blob.shape == (1, 3, size, size) and blob.dtype == np.float32
    assert factor == side / size
    new = (round(rgb.shape[1] * size / side), round(rgb.shape[0] * size / side))
    resized = cv2.resize(rgb, new, interpolation=cv2.INTER_AREA)
    expected = np.zeros((size, size, 3), dtype=np.float32)
    expected[: new[1], : new[0]] = resized
    assert np.array_equal(blob, expected.transpose(2, 0, 1)[None] / 255.0)
