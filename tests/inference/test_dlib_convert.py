"""The dlib .dat reader and ONNX builder: strict parsing, offsets in errors, no half-built model.

These tests parse the real `dlib_face_recognition_resnet_model_v1.dat` from the
installed face_recognition_models package (skipped when it is not installed) and
damaged copies of it. Building the real model is tested once per session in
test_dlib_embedder.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scanner.errors import ModelError
from scanner.inference.dlib_convert import ONNX_NAME, build_dlib_onnx, locate_dat
from scanner.inference.dlib_resnet import ANET_LAYERS, parse_dlib_resnet
from scanner.inference.dlib_serial import DlibReader

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("face_recognition_models") is None,
    reason="face_recognition_models is not installed",
)

CON_4_OFFSET = 334  # the first "con_4" version string (its length byte)


@pytest.fixture(scope="module")
def dat_bytes() -> bytes:
    return locate_dat().read_bytes()


def test_the_real_file_parses_completely(dat_bytes: bytes) -> None:
    net = parse_dlib_resnet(dat_bytes, "model.dat")
    assert net.size == 150
    np.testing.assert_allclose(net.means, (122.782, 117.001, 104.298), atol=1e-4)
    assert net.distance_threshold == pytest.approx(0.6)
    kinds = [layer.spec.kind for layer in net.layers]
    assert kinds.count("con") == 29 and kinds.count("affine") == 29
    assert kinds.count("relu") == 29 and kinds.count("add_prev") == 14
    assert len(net.layers) == len(ANET_LAYERS)
    first, last = net.layers[0], net.layers[-1]
    assert first.weights is not None and first.weights.shape == (32, 3, 7, 7)
    assert last.weights is not None and last.weights.shape == (256, 128)


def test_wrong_loss_version_string_names_offset(dat_bytes: bytes) -> None:
    damaged = dat_bytes.replace(b"loss_metric_2", b"loss_metric_3", 1)
    with pytest.raises(ModelError, match=r"at byte 2: expected .*'loss_metric_2', found 'loss_"):
        parse_dlib_resnet(damaged, "model.dat")


def test_wrong_layer_version_string_names_offset_and_layer(dat_bytes: bytes) -> None:
    damaged = dat_bytes[:CON_4_OFFSET] + b"\x01\x05con_5" + dat_bytes[CON_4_OFFSET + 7 :]
    with pytest.raises(ModelError, match=r"model.dat: at byte 334: expected .*layer<130> \(con\)"):
        parse_dlib_resnet(damaged, "model.dat")


def test_wrong_layer_order_is_refused(dat_bytes: bytes) -> None:
    # An affine_ where the first convolution should be: a different network.
    damaged = dat_bytes[:CON_4_OFFSET] + b"\x01\x07affine_" + dat_bytes[CON_4_OFFSET + 7 :]
    with pytest.raises(ModelError, match="expected the version string of layer<130>"):
        parse_dlib_resnet(damaged, "model.dat")


@pytest.mark.parametrize("keep", [1, 300, 1_000_000, 22_466_065])
def test_truncated_file_names_offset(dat_bytes: bytes, keep: int) -> None:
    with pytest.raises(ModelError, match=r"at byte \d+: expected .*found end of file"):
        parse_dlib_resnet(dat_bytes[:keep], "model.dat")


def test_extra_bytes_are_refused(dat_bytes: bytes) -> None:
    size = len(dat_bytes)
    with pytest.raises(ModelError, match=rf"at byte {size}: expected the end of the file, found 3"):
        parse_dlib_resnet(dat_bytes + b"\x00\x01\x02", "model.dat")


def test_empty_file() -> None:
    with pytest.raises(ModelError, match="at byte 0: expected the version of the loss layer"):
        parse_dlib_resnet(b"", "model.dat")


def test_damaged_dat_leaves_no_model(dat_bytes: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.dat"
    bad.write_bytes(dat_bytes[:5_000_000])
    home = tmp_path / "home"
    with pytest.raises(ModelError, match="bad.dat: at byte"):
        build_dlib_onnx(home, dat=bad)
    models = home / "models"
    assert not models.exists() or list(models.iterdir()) == []


def test_reader_primitives() -> None:
    # 5 = 01 05; -300 = 0x82 2c 01; "ab"; '1'; 0.6 as float_details; tensor v2 of 1x1x1x2
    data = (
        b"\x01\x05\x82\x2c\x01\x01\x02ab1"
        + b"\x03\x9a\x99\x99\x81\x18"
        + b"\x01\x02\x01\x01\x01\x01\x01\x01\x01\x02"
        + np.array([1.5, -2.0], "<f4").tobytes()
    )
    reader = DlibReader(data, "x")
    assert reader.integer() == 5
    assert reader.integer() == -300
    assert reader.string() == "ab"
    assert reader.boolean() is True
    assert reader.real() == pytest.approx(0.6, abs=1e-7)
    np.testing.assert_array_equal(reader.tensor().reshape(-1), [1.5, -2.0])
    reader.expect_end()


def test_reader_refuses_oversized_integer() -> None:
    with pytest.raises(ModelError, match=r"at byte 0: .*control byte 0x09"):
        DlibReader(b"\x09" + bytes(9), "x").integer()


def test_reader_special_floats() -> None:
    reader = DlibReader(b"\x01\x01\x02\x00\x7d" + b"\x01\x01\x02\x02\x7d", "x")
    assert reader.real() == float("inf")
    assert np.isnan(reader.real())


def test_a_damaged_built_file_is_not_trusted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    target = home / "models" / ONNX_NAME
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="nothing was written"):
        build_dlib_onnx(home, expected_sha256="1" * 64)
    # A result with an unexpected hash replaces nothing and leaves no temporary file.
    assert target.read_bytes() == b"not a model"
    assert [p.name for p in target.parent.iterdir()] == [ONNX_NAME]
