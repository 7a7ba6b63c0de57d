"""onnxruntime execution providers: which ones a device setting asks for, which one runs.

Kept apart from `session.py` so that the model adapters can ask `on_gpu` without
importing the module that imports them (session → registry → adapters).
"""

from __future__ import annotations

from typing import Any

import onnxruntime as ort

from scanner.errors import ModelError

DEVICES = ("cpu", "cuda", "auto")
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def providers_for(device: str = "cpu") -> list[str]:
    """onnxruntime providers for `device`: cpu → CPU only (the default, unchanged);
    cuda → CUDA then CPU (ModelError when this onnxruntime has no CUDA provider);
    auto → CUDA when available, else CPU."""
    if device not in DEVICES:
        raise ModelError(f"device {device!r} is not one of {', '.join(DEVICES)}")
    available = ort.get_available_providers()
    if device == "cpu" or (device == "auto" and CUDA not in available):
        return [CPU]
    if CUDA not in available:
        raise ModelError(
            "device cuda: this onnxruntime has no CUDAExecutionProvider "
            "(install the GPU build: pip install 'dftriage[gpu]'; see docs/models.md)"
        )
    return [CUDA, CPU]


def provider_of(session: Any) -> str:
    """The provider that runs a session (or the first session of a multi-part model)."""
    if isinstance(session, dict):
        session = next(iter(session.values()))
    get = getattr(session, "get_providers", None)
    return str(get()[0]) if get is not None else CPU


def on_gpu(session: Any) -> bool:
    """True when `session` (or a mapping of them) runs on a GPU provider."""
    return provider_of(session) != CPU
