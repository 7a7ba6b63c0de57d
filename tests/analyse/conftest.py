"""Fixtures for the deepfake-analysis tests: real photos and YuNet landmarks from ../shared."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from scanner.media.decode import decode_picture
from tests.analyse.analysis_support import FACES, SHARED
from tests.hashes import file_sha256

DEEPFAKES = SHARED / "data" / "deepfakes"
YUNET = SHARED / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"
YUNET_SHA256 = "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12"


@pytest.fixture(scope="session")
def landmarks_of() -> Callable[[np.ndarray], list[np.ndarray]]:
    """YuNet (cv2.FaceDetectorYN) 5-point landmarks of every face, largest first."""
    if not YUNET.is_file() or file_sha256(YUNET) != YUNET_SHA256:
        pytest.skip("../shared YuNet model absent")
    net = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6, 0.45, 50)

    def detect(rgb: np.ndarray) -> list[np.ndarray]:
        scale = min(1.0, 1280.0 / max(rgb.shape[:2]))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = net.detect(bgr)
        rows = [] if rows is None else sorted(rows, key=lambda r: -r[2] * r[3])
        return [r[4:14].reshape(5, 2).astype(np.float64) / scale for r in rows]

    return detect


@pytest.fixture(scope="session")
def photo() -> Callable[[str], np.ndarray]:
    """A face photo of ../shared/data/faces as RGB (skips when absent)."""

    def load(name: str) -> np.ndarray:
        path = FACES / name
        if not path.is_file():
            pytest.skip(f"../shared/data/faces/{name} absent")
        return decode_picture(path.read_bytes())

    return load
