"""Helpers for the inference tests: where ../shared models and photos are, skip when absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scanner.media.decode import decode_picture
from tests.hashes import file_sha256

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
MODELS = SHARED / "models"
FACES = SHARED / "data" / "faces"
DEEPFAKES = SHARED / "data" / "deepfakes"

SHARED_MODELS = {
    "yunet-n": (
        "face_detection/yunet/yunet_n_dynamic.onnx",
        "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12",
    ),
    "ultraface-rfb-320": (
        "face_detection/ultraface/version-RFB-320.onnx",
        "34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017",
    ),
    "mobilefacenet": (
        "face_embedding/mobilefacenet/MobileFaceNet.onnx",
        "b7120c095d60094f28a4a54ba6a8bf51b297a6273fb40ef6350dfec1f63d9507",
    ),
    "meso4-df": (
        "deepfake/mesonet/Meso4_DF.onnx",
        "49702dc16df73216989cd7129910bbaf10cbf3b5d2252dee63301e1a10a3cebb",
    ),
}


def shared_model(name: str) -> Path:
    """The ../shared file of a catalog model, or skip when absent or altered."""
    relative, sha = SHARED_MODELS[name]
    path = MODELS / relative
    if not path.is_file():
        pytest.skip(f"{path} not available")
    if file_sha256(path) != sha:
        pytest.skip(f"{path} does not have the expected sha256")
    return path


def face_photo(relative: str) -> np.ndarray:
    """An RGB face photo from ../shared/data/faces, or skip."""
    path = FACES / relative
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return decode_picture(path.read_bytes(), max_side=2048)
