"""`dftriage models` sub-actions through their argument parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from scanner.commands import models
from scanner.errors import ModelError
from tests.inference.inference_support import FACES, shared_model


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    models.add_arguments(parser)
    return models.run(parser.parse_args(list(argv)))


def test_list_verify_add(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("DFTRIAGE_HOME", str(tmp_path))
    assert _run("list", "--json") == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["mtcnn"]["present"] and rows["nudenet-320n"]["default"]
    assert rows["nudenet-320n"]["license"].startswith("MIT")
    assert _run("verify") == 0
    assert "mtcnn: ok" in capsys.readouterr().out
    with pytest.raises(ModelError, match="no model named"):
        _run("verify", "nothing")
    path = shared_model("mobilefacenet")
    assert _run("add", str(path)) == 0
    assert "added mobilefacenet" in capsys.readouterr().out
    assert _run("list") == 0
    assert "mobilefacenet  [face-embed, arcface-112]  ready, added file" in capsys.readouterr().out


def test_evaluate_detector_on_a_small_labelled_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    if not FACES.is_dir():
        pytest.skip("faces data not available")
    monkeypatch.setenv("DFTRIAGE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "labelled"
    (folder / "p").mkdir(parents=True)
    for name in ("obama.jpg", "two_people.jpg"):
        (folder / "p" / name).symlink_to(FACES / "face_recognition" / name)
    (folder / "labels.csv").write_text(
        "file,identity\np/obama.jpg,obama\np/two_people.jpg,obama;biden\n", encoding="utf-8"
    )
    assert _run("evaluate", "mtcnn", str(folder)) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["picture_recall"] == 1.0 and result["face_recall"] == 1.0
    assert result["labelled_faces"] == 3


def test_add_with_own_manifest_and_refuse_a_mismatch(tmp_path: Path) -> None:
    import yaml

    from scanner.inference.catalog import add_model, load_catalog
    from scanner.inference.manifest import discover
    from scanner.inference.session import verify

    path = shared_model("ultraface-rfb-320")
    entry = next(item for item in load_catalog() if item["name"] == "ultraface-rfb-320")
    own = {**entry, "name": "lab-faces", "measured": {"lab": "validated 2026"}}
    manifest_file = tmp_path / "lab.yaml"
    manifest_file.write_text(yaml.safe_dump(own), encoding="utf-8")
    home = tmp_path / "home"
    assert add_model(path, manifest_file, home=home).name == "lab-faces"
    assert discover(home)["lab-faces"].measured == {"lab": "validated 2026"}
    wrong = {**own, "name": "lab-wrong", "inputs": [{"name": "image", "shape": [1, 3, 240, 320]}]}
    manifest_file.write_text(yaml.safe_dump(wrong), encoding="utf-8")
    with pytest.raises(ModelError, match="inputs are \\['input'\\]"):
        add_model(path, manifest_file, home=home)
    assert "lab-wrong" not in discover(home)
    assert verify(discover(home)["lab-faces"], home) is None
