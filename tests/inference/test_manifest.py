"""Manifest schema, the sha256 and ONNX I/O checks, the family registry and the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from scanner.errors import ModelError
from scanner.inference.catalog import add_model, load_catalog
from scanner.inference.manifest import builtin_manifest_dir, discover, load_manifest, parse_manifest
from scanner.inference.registry import FAMILIES, adapter_class, family, load_families
from scanner.inference.session import load_adapter, open_session, verify
from tests.hashes import file_sha256
from tests.inference.inference_support import shared_model

PNET_SHA = "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35"


def _pnet_file() -> Path:
    mtcnn = load_manifest(builtin_manifest_dir() / "mtcnn.yaml")
    return mtcnn.locate("pnet")


def _pnet_manifest(folder: Path, **changes: object) -> Path:
    shutil.copyfile(_pnet_file(), folder / "pnet.onnx")
    data = {
        "name": "pnet-only",
        "task": "face-detect",
        "family": "mtcnn",
        "file": "pnet.onnx",
        "sha256": PNET_SHA,
        "inputs": [{"name": "input_1", "shape": ["N", "W", "H", 3]}],
        "outputs": [
            {"name": "conv2d_4", "shape": ["N", "a", "b", 4]},
            {"name": "softmax", "shape": ["N", "a", "b", 2]},
        ],
    }
    data.update(changes)
    path = folder / "pnet-only.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shipped_manifests_and_catalog_are_valid() -> None:
    shipped = discover(Path("/nonexistent-home"))
    assert {"mtcnn", "nudenet-320n"} <= set(shipped)
    assert shipped["mtcnn"].default and shipped["nudenet-320n"].default
    names = [entry["name"] for entry in load_catalog()]
    assert {"yunet-n", "ultraface-rfb-320", "mobilefacenet", "meso4-df"} <= set(names)
    assert len(names) == len(set(names))


def test_bundled_models_verify() -> None:
    for manifest in discover(Path("/nonexistent-home")).values():
        if manifest.package:
            assert verify(manifest) is None, manifest.name


def test_io_check_accepts_matching_manifest(tmp_path: Path) -> None:
    manifest = load_manifest(_pnet_manifest(tmp_path))
    assert open_session(manifest, "model").get_inputs()[0].name == "input_1"


def test_wrong_sha256_names_file_and_both_hashes(tmp_path: Path) -> None:
    manifest = load_manifest(_pnet_manifest(tmp_path, sha256="0" * 64))
    with pytest.raises(ModelError) as error:
        open_session(manifest, "model")
    message = str(error.value)
    assert "pnet.onnx" in message and PNET_SHA in message and "0" * 64 in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"inputs": [{"name": "data", "shape": ["N", "W", "H", 3]}]}, "inputs are ['input_1']"),
        ({"inputs": [{"name": "input_1", "shape": ["N", "W", "H", 4]}]}, "shape is"),
        ({"inputs": [{"name": "input_1", "shape": ["N", "W", "H", 3], "dtype": "uint8"}]}, "dtype"),
        ({"outputs": [{"name": "softmax", "shape": ["N", "a", "b", 2]}]}, "outputs are"),
    ],
)
def test_io_difference_is_reported(tmp_path: Path, change: dict, expected: str) -> None:
    manifest = load_manifest(_pnet_manifest(tmp_path, **change))
    with pytest.raises(ModelError, match="pnet.onnx") as error:
        open_session(manifest, "model")
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"name": "x", "task": "face-detect", "family": "mtcnn", "colour": 1},
            "unknown manifest keys",
        ),
        ({"name": "x", "task": "gender", "family": "mtcnn"}, "task 'gender'"),
        (
            {"name": "x", "task": "nudity", "family": "f", "file": "a.onnx", "sha256": "abc"},
            "sha256",
        ),
        ({"name": "x", "task": "face-embed", "family": "f", "metric": "manhattan"}, "metric"),
        ([1, 2], "mapping"),
    ],
)
def test_malformed_manifests_fail_fast(data: object, expected: str) -> None:
    with pytest.raises(ModelError, match=expected):
        parse_manifest(data)


def test_unreadable_manifest_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ModelError, match="broken.yaml"):
        load_manifest(path)


def test_registry_knows_every_builtin_family_and_refuses_duplicates() -> None:
    families = load_families()
    for name in (
        "mtcnn",
        "yunet",
        "ultraface",
        "arcface-112",
        "nudenet-yolov8",
        "face-crop-binary",
    ):
        assert name in families
    with pytest.raises(ValueError, match="already registered"):
        family("mtcnn")(type("Other", (), {}))
    with pytest.raises(ModelError, match="unknown model family 'nope'"):
        adapter_class("nope")
    assert FAMILIES["mtcnn"].__name__ == "MtcnnDetector"


def test_add_recognises_catalog_file_and_refuses_unknown(tmp_path: Path) -> None:
    path = shared_model("yunet-n")
    manifest = add_model(path, home=tmp_path)
    assert manifest.name == "yunet-n"
    assert (tmp_path / "models" / "yunet_n_dynamic.onnx").is_file()
    assert discover(tmp_path)["yunet-n"].sha256 == file_sha256(path)
    assert load_adapter(discover(tmp_path)["yunet-n"], tmp_path).detect is not None
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not in the catalog"):
        add_model(junk, home=tmp_path)


def test_added_file_altered_afterwards_is_refused(tmp_path: Path) -> None:
    add_model(shared_model("meso4-df"), home=tmp_path)
    stored = tmp_path / "models" / "Meso4_DF.onnx"
    stored.write_bytes(stored.read_bytes()[:-1] + b"\0")
    problem = verify(discover(tmp_path)["meso4-df"], tmp_path)
    assert problem is not None and "Meso4_DF.onnx has sha256" in problem
