"""MobileFaceNet embeddings on MTCNN landmarks, and victim matching with BruteForceIndex."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from scanner.inference.analyser import PictureAnalyser
from scanner.inference.identity import BruteForceIndex, IdentityMatch, index_reference_folder
from tests.inference.inference_support import FACES, face_photo


@pytest.fixture(scope="module")
def analyser(home: Path) -> PictureAnalyser:
    if not (home / "models" / "mobilefacenet.yaml").is_file():
        pytest.skip("mobilefacenet not available")
    return PictureAnalyser.load(
        tasks=("face-detect", "face-embed"), choose={"face-embed": "mobilefacenet"}, home=home
    )


def _largest(analyser: PictureAnalyser, photo: str) -> np.ndarray:
    faces = analyser.analyse(face_photo(photo)).faces
    best = max(faces, key=lambda face: (face.box[2] - face.box[0]) * (face.box[3] - face.box[1]))
    assert best.embedding is not None
    return best.embedding


def test_embeddings_are_unit_vectors_from_the_manifest_model(analyser: PictureAnalyser) -> None:
    assert [ref.name for ref in analyser.models] == ["mtcnn", "mobilefacenet"]
    assert analyser.embed_metric == "cosine" and 0 < analyser.embed_threshold < 1
    result = analyser.analyse(face_photo("face_recognition/obama.jpg"))
    (face,) = result.faces
    assert face.embedding is not None and face.embedding.shape == (128,)
    assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4
    assert face.thumbnail is not None and face.thumbnail.shape == (112, 112, 3)


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("face_recognition/obama.jpg", "face_recognition/obama2.jpg", True),
        ("face_recognition/biden.jpg", "face_recognition/biden2.jpg", True),
        ("deepface/img1.jpg", "deepface/img2.jpg", True),
        ("face_recognition/obama.jpg", "face_recognition/biden.jpg", False),
        ("deepface/img1.jpg", "deepface/img3.jpg", False),
        ("face_recognition/rose_leslie_img1.jpg", "face_recognition/alex_lacamoire1.jpg", False),
    ],
)
def test_same_person_above_threshold_different_below(
    analyser: PictureAnalyser, left: str, right: str, same: bool
) -> None:
    similarity = float(_largest(analyser, left) @ _largest(analyser, right))
    assert (similarity >= analyser.embed_threshold) is same, similarity


def test_reference_folder_identifies_both_people(analyser: PictureAnalyser, tmp_path: Path) -> None:
    for label, photos in {
        "victim_a": ["obama.jpg", "obama3.jpg"],
        "victim_b": ["biden.jpg"],
        "victim_c": ["rose_leslie_img1.jpg"],
    }.items():
        (tmp_path / label).mkdir()
        for photo in photos:
            os.symlink(FACES / "face_recognition" / photo, tmp_path / label / photo)
    (tmp_path / "victim_c" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    index, problems = index_reference_folder(tmp_path, analyser)
    assert len(index) == 4
    assert [name for name, _ in problems] == ["victim_c/broken.jpg"]
    faces = analyser.analyse(face_photo("face_recognition/two_people.jpg")).faces
    labels = sorted(index.search(face.embedding)[0].label for face in faces)
    assert labels == ["victim_a", "victim_b"]
    for face in faces:
        assert all(match.label != "victim_c" for match in index.search(face.embedding))


def test_brute_force_index_cosine_and_euclidean() -> None:
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    cosine = BruteForceIndex(["a", "b", "a"], ["a1", "b1", "a2"], matrix, "cosine", 0.7)
    assert cosine.search(np.array([2.0, 0.1])) == [
        IdentityMatch("a", "a1", pytest.approx(0.99875, abs=1e-4))
    ]
    assert cosine.search(np.array([-1.0, 0.0])) == []
    euclid = BruteForceIndex(["a", "b", "c"], ["1", "2", "3"], matrix, "euclidean", 0.5)
    assert [m.label for m in euclid.search(np.array([0.1, 0.9]))] == ["b"]
    with pytest.raises(ValueError, match=r"expected shape \(2,\)"):
        cosine.search(np.zeros(3))
    with pytest.raises(ValueError, match="matrix"):
        BruteForceIndex(["a"], ["1", "2"], matrix, "cosine", 0.5)
    empty = BruteForceIndex([], [], np.zeros((0, 2)), "cosine", 0.5)
    assert empty.search(np.ones(2)) == []
