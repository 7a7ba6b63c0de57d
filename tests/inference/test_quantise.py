"""int8 models: built by our code from the float models, pinned, and compared with them.

The builds run once per session into a temporary DFTRIAGE_HOME (the dlib float model is
converted first). The agreement tests use ../shared/data/faces and skip without it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from scanner.errors import ModelError
from scanner.inference.agreement import embedding_table, match, nudity_table
from scanner.inference.analyser import PictureAnalyser, _manifest_for
from scanner.inference.builders import build
from scanner.inference.manifest import Manifest, discover
from scanner.inference.providers import CUDA
from scanner.inference.quantise import QuantSpec
from scanner.inference.session import load_adapter, verify
from scanner.inference.variants import stills, variants
from tests.hashes import file_sha256
from tests.inference.inference_support import FACES

HAS_DLIB_DAT = importlib.util.find_spec("face_recognition_models") is not None


@pytest.fixture(scope="session")
def int8_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home with both int8 models built (and the dlib float model they need)."""
    if not HAS_DLIB_DAT:
        pytest.skip("face_recognition_models is not installed")
    home = tmp_path_factory.mktemp("int8-home")
    manifests = discover(home)
    for name in ("dlib-resnet-v1-int8", "nudenet-320n-int8"):
        build(manifests[name], home)
    yield home


def test_int8_files_have_the_pinned_sha256_and_pass_verify(int8_home: Path) -> None:
    manifests = discover(int8_home)
    for name in ("dlib-resnet-v1-int8", "nudenet-320n-int8"):
        manifest = manifests[name]
        path = manifest.locate("model", int8_home)
        assert file_sha256(path) == manifest.sha256
        assert verify(manifest, int8_home) is None
        text = path.read_bytes()
        assert b"QuantizeLinear" in text and b"DequantizeLinear" in text
        assert manifest.origin() == f"built by dftriage (int8 from {manifest.quantise['from']})"


def test_a_build_giving_another_sha256_writes_nothing(int8_home: Path, tmp_path: Path) -> None:
    manifest = discover(int8_home)["nudenet-320n-int8"]
    part = dataclasses.replace(manifest.single, sha256="1" * 64)
    wrong = dataclasses.replace(manifest, parts={"model": part})
    with pytest.raises(ModelError, match="nothing was written, the float model stays in use"):
        build(wrong, tmp_path)
    assert not (tmp_path / "models" / manifest.single.file).exists()


def test_the_head_of_nudenet_stays_float_but_its_convolutions_are_quantised() -> None:
    spec = QuantSpec.of(discover()["nudenet-320n-int8"])
    import onnx

    names = ["/model.22/Concat_25", "/model.22/dfl/conv/Conv", "/model.22/cv3.0/cv3.0.2/Conv"]
    names += ["/model.2/cv1/conv/Conv"]
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"], name=name) for name in names], "g", [], []
    )
    excluded = spec.excluded(onnx.helper.make_model(graph))
    assert excluded == ["/model.22/Concat_25", "/model.22/dfl/conv/Conv"]


def test_float_models_stay_the_defaults(tmp_path: Path) -> None:
    analyser = PictureAnalyser.load(tasks=("face-detect", "nudity"), home=tmp_path)
    assert [ref.name for ref in analyser.models] == ["mtcnn", "nudenet-320n"]


def _as_default(manifest: Manifest) -> Manifest:
    return dataclasses.replace(manifest, default=True)


def test_a_default_int8_model_comes_before_its_float_model_unless_cuda_runs(
    int8_home: Path,
) -> None:
    manifests = dict(discover(int8_home))
    manifests["nudenet-320n-int8"] = _as_default(manifests["nudenet-320n-int8"])
    assert _manifest_for("nudity", manifests, None, int8_home).name == "nudenet-320n-int8"
    on_auto = "nudenet-320n" if CUDA in ort.get_available_providers() else "nudenet-320n-int8"
    assert _manifest_for("nudity", manifests, None, int8_home, "auto").name == on_auto


def test_an_int8_model_that_cannot_be_built_leaves_the_float_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manifests = dict(discover(tmp_path))
    int8 = _as_default(manifests["nudenet-320n-int8"])
    manifests[int8.name] = dataclasses.replace(
        int8, parts={"model": dataclasses.replace(int8.single, sha256="2" * 64)}
    )
    with caplog.at_level(logging.WARNING):
        assert _manifest_for("nudity", manifests, None, tmp_path).name == "nudenet-320n"
    assert "cannot build model nudenet-320n-int8" in caplog.text


def test_match_is_one_to_one_best_overlap_first() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10.5]], dtype=float)
    b = np.array([[0, 0, 10, 10.4], [50, 50, 60, 60]], dtype=float)
    pairs = match(a, b, 0.9)
    assert [(i, j) for i, j, _ in pairs] == [(1, 0)]  # IoU 0.990 beats 0.962; b[0] used once
    assert match(a, b, 0.9, same=np.zeros((2, 2), bool)) == []


def _faces_or_skip() -> Path:
    if not (FACES / "labels.csv").is_file():
        pytest.skip(f"{FACES} not available")
    return FACES


def test_dlib_int8_keeps_every_pair_decision_of_the_float_model(int8_home: Path) -> None:
    folder = _faces_or_skip()
    manifests = discover(int8_home)
    float_emb = load_adapter(manifests["dlib-resnet-v1"], int8_home)
    int8_emb = load_adapter(manifests["dlib-resnet-v1-int8"], int8_home)
    detector = load_adapter(manifests["mtcnn"], int8_home)
    table = embedding_table(float_emb, int8_emb, detector, folder, 0.6)
    assert table["pairs"] == 2715 and table["pictures"] == 70
    assert table["decisions_changed"] == 0 and table["accepted"]
    assert 0 < table["max_distance_change"] < 0.03  # int8, so not identical; the manifest figure


def test_nudenet_agreement_is_measured_and_the_float_model_agrees_with_itself(
    int8_home: Path,
) -> None:
    folder = _faces_or_skip()
    manifests = discover(int8_home)
    float_cls = load_adapter(manifests["nudenet-320n"], int8_home)
    int8_cls = load_adapter(manifests["nudenet-320n-int8"], int8_home)
    pictures = [rgb for _, rgb in variants(stills(folder)[:20], 30, seed=5)]
    same = nudity_table(float_cls, float_cls, pictures)
    assert same["agreement"] == 1.0 and same["max_nudity_score_change"] == 0.0
    assert same["float_regions"] > 20 and not same["accepted"]  # fewer than 500 pictures
    other = nudity_table(float_cls, int8_cls, pictures)
    assert other["pictures"] == 30 and other["agreement"] < 1.0
    assert other["max_region_score_change"] > 0


def test_variants_are_deterministic_and_as_many_as_asked() -> None:
    base = [("a", np.full((64, 80, 3), 100, np.uint8)), ("b", np.zeros((90, 60, 3), np.uint8))]
    first = list(variants(base, 12, seed=1))
    second = list(variants(base, 12, seed=1))
    assert [name for name, _ in first] == [name for name, _ in second]
    assert len(first) == 12 and first[0][0] == "a" and first[1][0] == "b"
    assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(first, second, strict=True))
    assert all(rgb.dtype == np.uint8 and rgb.ndim == 3 for _, rgb in first)


@pytest.mark.skipif(not HAS_DLIB_DAT, reason="face_recognition_models is not installed")
def test_models_quantise_command_builds_both_and_list_shows_them_ready(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import json

    from scanner.commands import models

    def run(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        models.add_arguments(parser)
        return models.run(parser.parse_args(list(argv)))

    monkeypatch.setenv("DFTRIAGE_HOME", str(tmp_path))
    assert run("list", "--json") == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert not rows["nudenet-320n-int8"]["present"] and not rows["nudenet-320n-int8"]["default"]
    assert run("quantise") == 0
    out = capsys.readouterr().out
    assert "dlib_resnet_v1_int8.onnx" in out and "nudenet_320n_int8.onnx" in out
    assert run("verify", "dlib-resnet-v1-int8", "nudenet-320n-int8") == 0
    assert capsys.readouterr().out.count(": ok") == 2
