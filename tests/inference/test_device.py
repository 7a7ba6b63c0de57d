"""Devices: the CPU path by default, CUDA only when asked and present, the provider recorded.

There is no GPU on the development machine: the CUDA tests skip cleanly without one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from scanner.commands.scan import add_arguments
from scanner.config import load_config
from scanner.errors import ModelError
from scanner.inference.analyser import PictureAnalyser
from scanner.inference.providers import CPU, CUDA, providers_for
from tests.inference.inference_support import face_photo

HAS_CUDA = CUDA in ort.get_available_providers()
needs_gpu = pytest.mark.skipif(not HAS_CUDA, reason="no CUDAExecutionProvider (no GPU build)")


def test_cpu_is_the_default_and_auto_is_cpu_without_cuda() -> None:
    assert providers_for() == [CPU]
    assert providers_for("cpu") == [CPU]
    assert providers_for("auto") == ([CUDA, CPU] if HAS_CUDA else [CPU])
    with pytest.raises(ModelError, match="not one of cpu, cuda, auto"):
        providers_for("tpu")


@pytest.mark.skipif(HAS_CUDA, reason="checks the message given without CUDA")
def test_cuda_without_a_gpu_build_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"pip install 'dftriage\[gpu\]'"):
        PictureAnalyser.load(tasks=("nudity",), home=tmp_path, device="cuda")


def test_the_provider_of_each_model_is_recorded(tmp_path: Path) -> None:
    analyser = PictureAnalyser.load(tasks=("face-detect", "nudity"), home=tmp_path, device="auto")
    expected = CUDA if HAS_CUDA else CPU
    assert [(ref.name, ref.provider) for ref in analyser.models] == [
        ("mtcnn", expected),
        ("nudenet-320n", expected),
    ]
    detector = analyser.adapters["face-detect"]
    assert (detector.batch, detector.strip_cells) == ((256, 1 << 30) if HAS_CUDA else (16, 32))


def test_device_setting_and_option() -> None:
    import argparse

    assert load_config(None).device == "cpu"
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["disk.E01", "--case", "c", "--device", "auto"])
    assert load_config(None).with_overrides(device=args.device).device == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["disk.E01", "--case", "c", "--device", "gpu"])


@needs_gpu
def test_cuda_finds_the_faces_the_cpu_finds(tmp_path: Path) -> None:
    rgb = face_photo("face_recognition/two_people.jpg")
    cpu = PictureAnalyser.load(tasks=("face-detect", "nudity"), home=tmp_path)
    gpu = PictureAnalyser.load(tasks=("face-detect", "nudity"), home=tmp_path, device="cuda")
    assert {ref.provider for ref in gpu.models} == {CUDA}
    a, b = cpu.analyse(rgb), gpu.analyse(rgb)
    assert len(a.faces) == len(b.faces) == 2
    for x, y in zip(a.faces, b.faces, strict=True):
        assert np.allclose(x.box, y.box, atol=2.0)
    assert abs((a.nudity or 0) - (b.nudity or 0)) < 0.01
