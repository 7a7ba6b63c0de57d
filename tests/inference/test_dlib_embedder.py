"""The dlib-resnet face embedder on real faces: exact against dlib, accurate on labelled pairs.

The model is converted once per session into a temporary DFTRIAGE_HOME. Faces come
from ../shared/data/faces (tests skip when it is absent), with five landmarks from
YuNet (../shared/models, a test-only detector whose sha256 is checked first).
The measured numbers asserted here are the ones in models/dlib_resnet_v1.yaml.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.inference.dlib_convert import ONNX_SHA256, build_dlib_onnx
from scanner.inference.manifest import Manifest, discover, load_manifest
from scanner.inference.session import load_adapter
from tests.hashes import file_sha256

ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT.parent / "shared" / "data" / "faces"
YUNET = ROOT.parent / "shared" / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"
YUNET_SHA256 = "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12"
MANIFEST = ROOT / "models" / "dlib_resnet_v1.yaml"
THRESHOLD = 0.6

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("face_recognition_models") is None,
    reason="face_recognition_models is not installed",
)


@dataclass(frozen=True)
class Photo:
    file: str
    identities: tuple[str, ...]
    rgb: np.ndarray
    landmarks: np.ndarray  # (F, 5, 2), largest face first


@pytest.fixture(scope="session")
def dlib_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("dftriage_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DFTRIAGE_HOME", str(home))
        build_dlib_onnx(home)
        yield home


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return load_manifest(MANIFEST)


@pytest.fixture(scope="session")
def embedder(dlib_home: Path, manifest: Manifest):
    return load_adapter(manifest, dlib_home, threads=1)


def _detector():
    if not YUNET.is_file() or not FACES.is_dir():
        pytest.skip("../shared face data or YuNet model not present")
    if file_sha256(YUNET) != YUNET_SHA256:
        pytest.skip("YuNet model in ../shared has an unexpected sha256")
    return cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6, 0.3, 50)


def _landmarks(detector, bgr: np.ndarray) -> np.ndarray:
    """(F, 5, 2) landmarks in picture pixels, largest face first (detected at <= 640 px)."""
    height, width = bgr.shape[:2]
    factor = min(1.0, 640 / max(height, width))
    small = bgr
    if factor < 1:
        size = (round(width * factor), round(height * factor))
        small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    detector.setInputSize((small.shape[1], small.shape[0]))
    _, faces = detector.detect(small)
    if faces is None:
        return np.zeros((0, 5, 2))
    faces = faces[np.argsort(-(faces[:, 2] * faces[:, 3]), kind="stable")]
    return faces[:, 4:14].reshape(-1, 5, 2) / factor


@pytest.fixture(scope="session")
def photos() -> list[Photo]:
    detector = _detector()
    found = []
    with (FACES / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["file"].endswith(".mp4"):
                continue
            bgr = cv2.imread(str(FACES / row["file"]), cv2.IMREAD_COLOR)
            rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            points = _landmarks(detector, bgr)
            found.append(Photo(row["file"], tuple(row["identity"].split(";")), rgb, points))
    return found


def _single(photos: list[Photo]) -> list[Photo]:
    return [
        p for p in photos if len(p.identities) == 1 and not p.identities[0].startswith("unknown")
    ]


@pytest.fixture(scope="session")
def embeddings(photos: list[Photo], embedder) -> dict[str, tuple[str, np.ndarray]]:
    """file -> (identity, descriptor of the largest face) for single-identity photos."""
    result = {}
    for photo in _single(photos):
        assert len(photo.landmarks), f"no face found in {photo.file}"
        vectors = embedder.embed(photo.rgb, [photo.landmarks[0]])
        result[photo.file] = (photo.identities[0], vectors[0])
    return result


def pair_stats(same: np.ndarray, different: np.ndarray) -> dict[str, float]:
    """Accuracy at the 0.6 threshold and the two distance distributions."""
    correct = int((same < THRESHOLD).sum() + (different >= THRESHOLD).sum())
    return {
        "accuracy": correct / (len(same) + len(different)),
        "false_match_rate": float((different < THRESHOLD).mean()),
        "false_non_match_rate": float((same >= THRESHOLD).mean()),
        "same_mean": float(same.mean()),
        "same_max": float(same.max()),
        "different_mean": float(different.mean()),
        "different_min": float(different.min()),
    }


def master_distances(embeddings) -> tuple[np.ndarray, np.ndarray]:
    same, different = [], []
    with (FACES / "deepface" / "master.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            a = embeddings[f"deepface/{row['file_x']}"][1]
            b = embeddings[f"deepface/{row['file_y']}"][1]
            (same if row["Decision"] == "Yes" else different).append(np.linalg.norm(a - b))
    return np.array(same), np.array(different)


def all_distances(embeddings) -> tuple[np.ndarray, np.ndarray]:
    same, different = [], []
    for (ia, ea), (ib, eb) in itertools.combinations(embeddings.values(), 2):
        (same if ia == ib else different).append(np.linalg.norm(ea - eb))
    return np.array(same), np.array(different)


def test_build_is_pinned_and_idempotent(dlib_home: Path, manifest: Manifest) -> None:
    path = dlib_home / "models" / manifest.single.file
    assert manifest.single.sha256 == ONNX_SHA256
    assert file_sha256(path) == ONNX_SHA256
    before = path.stat().st_mtime_ns
    assert build_dlib_onnx(dlib_home) == path
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_it_is_the_default_face_embedder(dlib_home: Path) -> None:
    found = discover(dlib_home)["dlib-resnet-v1"]
    assert (found.task, found.family, found.build) == ("face-embed", "dlib-resnet", "dlib-resnet")
    assert found.default and found.metric == "euclidean" and found.threshold == THRESHOLD


def test_matches_dlib_on_the_same_chips(photos: list[Photo], embedder, manifest) -> None:
    dlib = pytest.importorskip("dlib")
    from scanner.inference.dlib_convert import locate_dat

    chips = np.concatenate([embedder.chips(p.rgb, p.landmarks) for p in photos])
    rng = np.random.default_rng(7)
    chips = np.concatenate([chips, rng.integers(0, 256, (4, 150, 150, 3), dtype=np.uint8)])
    reference_model = dlib.face_recognition_model_v1(str(locate_dat()))
    reference = np.array(reference_model.compute_face_descriptor(list(chips)))
    batched = embedder.embed_chips(chips)
    single = np.concatenate([embedder.embed_chips(chip[None]) for chip in chips[:8]])
    assert len(chips) > 70
    difference = float(np.abs(batched - reference).max())
    assert difference <= 1e-5
    assert float(np.abs(single - reference[:8]).max()) <= 1e-5
    assert difference <= 2 * manifest.measured["max_abs_diff_vs_dlib"]


def test_master_csv_pairs(embeddings, manifest: Manifest) -> None:
    same, different = master_distances(embeddings)
    assert (len(same), len(different)) == (38, 262)
    stats = pair_stats(same, different)
    assert stats["accuracy"] >= 0.995
    recorded = manifest.measured["master_csv"]
    assert stats["accuracy"] == pytest.approx(recorded["accuracy_at_0.6"], abs=0.004)
    assert stats["same_max"] == pytest.approx(recorded["same_distance"]["max"], abs=0.01)
    assert stats["different_min"] == pytest.approx(recorded["different_distance"]["min"], abs=0.01)


def test_all_labelled_photos(embeddings, manifest: Manifest) -> None:
    same, different = all_distances(embeddings)
    stats = pair_stats(same, different)
    recorded = manifest.measured["all_labelled_photos"]
    assert {"same": len(same), "different": len(different)} == recorded["pairs"]
    assert stats["accuracy"] >= 0.99
    assert stats["accuracy"] == pytest.approx(recorded["accuracy_at_0.6"], abs=0.001)
    assert stats["false_match_rate"] == pytest.approx(recorded["false_match_rate"], abs=0.001)
    assert stats["same_max"] == pytest.approx(recorded["same_distance"]["max"], abs=0.01)
    assert stats["different_min"] == pytest.approx(recorded["different_distance"]["min"], abs=0.01)


def test_group_pictures_find_each_labelled_person(photos: list[Photo], embeddings, embedder):
    references: dict[str, list[np.ndarray]] = {}
    for identity, vector in embeddings.values():
        references.setdefault(identity, []).append(vector)
    for photo in photos:
        named = [i for i in photo.identities if i in references]
        if len(photo.identities) < 2 or not named:
            continue
        vectors = embedder.embed(photo.rgb, list(photo.landmarks))
        for identity in named:
            best = float(embedder.distance(vectors, np.stack(references[identity])).min())
            assert best < THRESHOLD, f"{identity} not found in {photo.file} ({best:.3f})"


def test_edge_cases(embedder) -> None:
    rgb = np.zeros((64, 64, 3), dtype=np.uint8)
    assert embedder.embed(rgb, []).shape == (0, 128)
    with pytest.raises(ValueError, match="expected dtype uint8"):
        embedder.embed(rgb.astype(np.float32), [np.zeros((5, 2))])
    with pytest.raises(ValueError, match=r"expected shape \(5, 2\)"):
        embedder.embed(rgb, [np.zeros((4, 2))])
    with pytest.raises(ValueError, match=r"expected uint8 \(N, 150, 150, 3\)"):
        embedder.embed_chips(np.zeros((1, 112, 112, 3), dtype=np.uint8))
    chips = np.full((20, 150, 150, 3), 128, dtype=np.uint8)
    vectors = embedder.embed_chips(chips)  # more than one batch
    assert vectors.shape == (20, 128) and vectors.dtype == np.float32
    assert np.abs(vectors - vectors[0]).max() < 1e-5
