"""Known sets and victim faces flow through a real scan into findings, most urgent first."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"
FACES = Path(__file__).parents[2] / ".." / "shared" / "data" / "faces"
TRUTH = json.loads((DATA / "ground_truth.json").read_text())["images"]["example.E01"]["files"]


def dftriage(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=900
    )
    assert done.returncode in (0, 1), done.stderr
    return done


def planted(fragment: str) -> dict:
    return next(f for f in TRUTH if fragment in f["path"])


def test_known_bad_is_p1_first_and_known_good_is_dropped(tmp_path: Path) -> None:
    bad, good = planted("KakaoTalk_Photo"), planted("Screenshot_")
    (tmp_path / "bad.md5").write_text(f"{bad['md5']}  evidence-0001.jpg\n")
    (tmp_path / "good.txt").write_text(f"{good['sha1'] if 'sha1' in good else good['md5']}\n")
    dftriage(
        "sets",
        "import",
        str(tmp_path / "bad.md5"),
        "--name",
        "e2e-bad",
        "--kind",
        "known-bad",
        "--category",
        "1",
        "--replace",
    )
    dftriage(
        "sets",
        "import",
        str(tmp_path / "good.txt"),
        "--name",
        "e2e-good",
        "--kind",
        "known-good",
        "--replace",
    )
    case = tmp_path / "case"
    dftriage(
        "scan",
        str(DATA / "example.E01"),
        "--case",
        str(case),
        "--no-models",
        "--sets",
        "e2e-bad,e2e-good",
    )
    report = json.loads((case / "report.json").read_text())
    first = report["blobs"][0]
    assert first["sha256"] == bad["sha256"]
    assert first["priority"] == 1
    assert first["findings"][0]["rule"] == "known-bad-hash"
    assert "e2e-bad" in first["findings"][0]["reason"]
    assert any(m["set_name"] == "e2e-bad" and m["method"] == "md5" for m in first["matches"])
    screenshot = next(b for b in report["blobs"] if b["sha256"] == good["sha256"])
    assert screenshot["findings"] == [] and screenshot["matches"][0]["set_kind"] == "known-good"
    sets = report["runs"][-1]["sets"]
    assert {s["name"] for s in sets} == {"e2e-bad", "e2e-good"}


@pytest.mark.skipif(not FACES.exists(), reason="../shared/data/faces is absent")
def test_victim_reference_faces_are_found_in_evidence(tmp_path: Path) -> None:
    victims = tmp_path / "victims" / "P01"
    victims.mkdir(parents=True)
    for name in ("img1.jpg", "img2.jpg"):
        shutil.copy(FACES / "deepface" / name, victims / name)
    dftriage(
        "sets", "build-victims", str(tmp_path / "victims"), "--name", "e2e-victims", "--replace"
    )
    evidence = tmp_path / "evidence" / "Telegram Desktop"
    evidence.mkdir(parents=True)
    shutil.copy(FACES / "deepface" / "img4.jpg", evidence / "photo_same_person.jpg")  # P01 again
    shutil.copy(FACES / "deepface" / "img3.jpg", evidence / "photo_other_person.jpg")  # P02
    case = tmp_path / "case"
    dftriage("scan", str(tmp_path / "evidence"), "--case", str(case), "--sets", "e2e-victims")
    report = json.loads((case / "report.json").read_text())
    by_path = {blob["locations"][0]["path"]: blob for blob in report["blobs"]}
    same = by_path["/Telegram Desktop/photo_same_person.jpg"]
    other = by_path["/Telegram Desktop/photo_other_person.jpg"]
    assert same["faces"] and other["faces"]
    assert [m["label"] for m in same["matches"] if m["method"] == "face"] == ["P01"]
    assert not [m for m in other["matches"] if m["method"] == "face"]
    assert any(f["rule"] == "victim-face" for f in same["findings"])
    assert same["priority"] < (other["priority"] or 99)
    assert {m["name"] for m in report["runs"][-1]["models"]} >= {"dlib-resnet-v1"} or report[
        "runs"
    ][-1]["models"]


def test_a_set_imported_after_the_scan_applies_on_rerun_without_rereading(tmp_path: Path) -> None:
    case = tmp_path / "case"
    no_sets = tmp_path / "no-sets.yaml"
    no_sets.write_text("sets: []\n")
    dftriage(
        "scan",
        str(DATA / "example.E01"),
        "--case",
        str(case),
        "--no-models",
        "--config",
        str(no_sets),
    )
    before = json.loads((case / "report.json").read_text())
    assert all(blob["findings"] == [] or blob["priority"] > 1 for blob in before["blobs"])
    target = planted("photo_2024")
    (tmp_path / "late.sha256").write_text(f"{target['sha256']}\n")
    dftriage(
        "sets",
        "import",
        str(tmp_path / "late.sha256"),
        "--name",
        "e2e-late",
        "--kind",
        "known-bad",
        "--replace",
    )
    again = dftriage(
        "scan",
        str(DATA / "example.E01"),
        "--case",
        str(case),
        "--no-models",
        "--sets",
        "e2e-late",
        "--json",
    )
    progress = [json.loads(line) for line in again.stdout.splitlines()]
    assert [e for e in progress if e["event"] == "progress"] == [], "nothing should be read again"
    after = json.loads((case / "report.json").read_text())
    assert after["blobs"][0]["sha256"] == target["sha256"] and after["blobs"][0]["priority"] == 1
    assert {b["sha256"] for b in after["blobs"]} == {b["sha256"] for b in before["blobs"]}


def test_a_model_chosen_per_task_is_the_one_that_answers(tmp_path: Path) -> None:
    yunet = FACES.parent.parent / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"
    if not yunet.is_file():
        pytest.skip(f"{yunet} not present")
    dftriage("models", "add", str(yunet))
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(FACES / "deepface" / "img4.jpg", evidence / "photo.jpg")
    runs = {}
    for choice in ("face-detect=yunet-n", "face-detect=mtcnn"):
        case = tmp_path / choice
        dftriage("scan", str(evidence), "--case", str(case), "--model", choice)
        report = json.loads((case / "report.json").read_text())
        models = {m["task"]: m["name"] for m in report["runs"][-1]["models"]}
        providers = {m["provider"] for m in report["runs"][-1]["models"]}
        assert providers == {"CPUExecutionProvider"}  # --device defaults to cpu
        runs[choice] = models, report["blobs"][0]["faces"]
    for choice, (models, faces) in runs.items():
        assert models["face-detect"] == choice.split("=")[1]
        assert models["face-embed"] == "dlib-resnet-v1" and len(faces) == 1
    assert runs["face-detect=yunet-n"][1][0]["box"] != runs["face-detect=mtcnn"][1][0]["box"]


def test_an_unknown_model_choice_stops_before_the_scan(tmp_path: Path) -> None:
    for choice, message in (
        ("face-detect=no-such-model", "no model named 'no-such-model'"),
        ("face-detect", "expected TASK=NAME"),
        ("colour=mtcnn", "unknown tasks ['colour']"),
    ):
        case = tmp_path / "case"
        done = subprocess.run(
            [sys.executable, "-m", "scanner", "scan", str(DATA / "example.E01")]
            + ["--case", str(case), "--model", choice],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert not case.exists()
