"""End to end: a composite made from a victim's reference photo, forwarded as a JPEG, is
traced by `dftriage scan` to that exact reference photo and flagged."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scanner.inference.analyser import PictureAnalyser
from scanner.media.decode import decode_picture
from tests.analyse.analysis_support import FACES, jpeg, paste_face

SOURCE, OTHER_PHOTO, TARGET = (
    "face_recognition/biden.jpg",
    "face_recognition/biden2.jpg",
    "deepface/img18.jpg",
)


def dftriage(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=900
    )
    assert done.returncode in (0, 1), done.stderr
    return done


@pytest.mark.skipif(not FACES.exists(), reason="../shared/data/faces is absent")
def test_composite_is_traced_to_the_victims_reference_photo(tmp_path: Path) -> None:
    victim = tmp_path / "refs" / "Victim-A"
    victim.mkdir(parents=True)
    shutil.copy(FACES / SOURCE, victim / "school.jpg")
    shutil.copy(FACES / OTHER_PHOTO, victim / "id-card.jpg")
    dftriage("sets", "build-victims", str(tmp_path / "refs"), "--name", "e2e-source", "--replace")

    analyser = PictureAnalyser.load(tasks=("face-detect",))
    source, target = (decode_picture((FACES / name).read_bytes()) for name in (SOURCE, TARGET))
    landmarks = [np.asarray(analyser.analyse(rgb).faces[0].landmarks) for rgb in (source, target)]
    composite = paste_face(source, landmarks[0], target, landmarks[1])
    evidence = tmp_path / "evidence" / "Telegram Desktop"
    evidence.mkdir(parents=True)
    (evidence / "forwarded.jpg").write_bytes(jpeg(composite, 75))
    shutil.copy(FACES / TARGET, evidence / "genuine.jpg")

    case = tmp_path / "case"
    dftriage("scan", str(tmp_path / "evidence"), "--case", str(case), "--sets", "e2e-source")
    report = json.loads((case / "report.json").read_text())
    by_path = {blob["locations"][0]["path"]: blob for blob in report["blobs"]}
    forwarded, genuine = (
        by_path["/Telegram Desktop/forwarded.jpg"],
        by_path["/Telegram Desktop/genuine.jpg"],
    )
    traced = [face for face in forwarded["faces"] if face["source_label"]]
    assert traced and traced[0]["source_label"] == "Victim-A"
    assert traced[0]["source_reference"] == "Victim-A/school.jpg"
    assert any(f["rule"].startswith("victim-source-photo") for f in forwarded["findings"])
    assert "school.jpg" in " ".join(f["reason"] for f in forwarded["findings"])
    assert not [face for face in genuine["faces"] if face["source_label"]]
    html = (case / "report.html").read_text()
    assert 'alt="reference photo Victim-A/school.jpg"' in html  # shown beside the picture, blurred


@pytest.mark.skipif(not FACES.exists(), reason="../shared/data/faces is absent")
def test_a_reference_face_copied_into_another_picture_is_found_by_its_face_hash(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "refs" / "Victim-B"
    victim.mkdir(parents=True)
    shutil.copy(FACES / SOURCE, victim / "school.jpg")
    dftriage(
        "sets", "build-victims", str(tmp_path / "refs"), "--name", "e2e-face-hash", "--replace"
    )

    photo = decode_picture(jpeg(decode_picture((FACES / SOURCE).read_bytes()), 50))
    small = photo[::2, ::2]
    canvas = np.full((small.shape[0] + 300, small.shape[1] + 400, 3), 90, np.uint8)
    canvas[150 : 150 + small.shape[0], 200 : 200 + small.shape[1]] = small
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "collage.jpg").write_bytes(jpeg(canvas, 80))
    shutil.copy(FACES / TARGET, evidence / "someone-else.jpg")

    case = tmp_path / "case"
    dftriage("scan", str(evidence), "--case", str(case), "--sets", "e2e-face-hash")
    report = json.loads((case / "report.json").read_text())
    by_path = {blob["locations"][0]["path"]: blob for blob in report["blobs"]}
    collage, other = by_path["/collage.jpg"], by_path["/someone-else.jpg"]
    hits = [m for m in collage["matches"] if m["method"] == "pdq-face"]
    assert hits and hits[0]["label"] == "Victim-B" and hits[0]["entry_id"] == "Victim-B/school.jpg"
    assert hits[0]["distance"] <= 31
    assert not [
        m for m in collage["matches"] if m["method"] == "pdq"
    ]  # whole-picture PDQ misses it
    assert any(f["rule"] == "victim-reference-photo" for f in collage["findings"])
    assert not [m for m in other["matches"] if m["method"] == "pdq-face"]
