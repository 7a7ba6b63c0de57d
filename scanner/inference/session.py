"""Open a model: check its sha256 and ONNX I/O against the manifest, then build its adapter.

onnxruntime objects never leave this package: callers get adapters from `load_adapter`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
import onnxruntime as ort

from scanner.errors import ModelError
from scanner.inference.manifest import Manifest, ModelFile, TensorSpec
from scanner.inference.providers import providers_for
from scanner.inference.registry import adapter_class

_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(uint8)": "uint8",
    "tensor(int8)": "int8",
    "tensor(bool)": "bool",
}


def verified_bytes(manifest: Manifest, part: str, home: Path | None = None) -> tuple[Path, bytes]:
    """The path and content of `part` if it exists and its sha256 matches; ModelError otherwise.
    The bytes that were hashed are the bytes that get loaded: the file is read once."""
    spec = manifest.parts[part]
    path = manifest.locate(part, home)
    if not path.is_file():
        hint = ""
        if manifest.quantise:
            hint = " (run `dftriage models quantise`)"
        elif manifest.build:
            hint = " (run `dftriage models build`)"
        elif not manifest.package:
            hint = " (add it with `dftriage models add FILE`)"
        raise ModelError(f"model {manifest.name!r}: file {path} is missing{hint}")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != spec.sha256:
        raise ModelError(
            f"model {manifest.name!r}: {path} has sha256 {actual}, manifest says {spec.sha256}"
        )
    return path, data


def session_options(threads: int = 1) -> ort.SessionOptions:
    """CPU session options: `threads` intra-op threads (0 = onnxruntime's defaults),
    full graph optimisation, quiet log."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads <= 0:
        return options
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


GraphRewrite = Callable[[onnx.ModelProto], onnx.ModelProto]


def open_session(
    manifest: Manifest,
    part: str,
    home: Path | None = None,
    threads: int = 1,
    rewrite: GraphRewrite | None = None,
    device: str = "cpu",
) -> ort.InferenceSession:
    """An onnxruntime session for `part` on `device` (see `providers_for`), after the
    sha256 and I/O checks; `rewrite` (see graph_rewrite.py) is applied in memory to the
    verified file's graph."""
    providers = providers_for(device)
    path, model = verified_bytes(manifest, part, home)
    try:
        if rewrite is not None:
            model = rewrite(onnx.load_model_from_string(model)).SerializeToString()
        session = ort.InferenceSession(
            model, sess_options=session_options(threads), providers=providers
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"model {manifest.name!r}: onnxruntime cannot load {path}: {exc}") from exc
    problem = io_difference(manifest.parts[part], session)
    if problem:
        raise ModelError(f"model {manifest.name!r}: {path}: {problem}")
    return session


def io_difference(spec: ModelFile, session: ort.InferenceSession) -> str | None:
    """A one-line description of how the session's I/O differs from the manifest, or None."""
    for kind, wanted, actual in (
        ("input", spec.inputs, session.get_inputs()),
        ("output", spec.outputs, session.get_outputs()),
    ):
        names = [arg.name for arg in actual]
        if [item.name for item in wanted] != names:
            return f"{kind}s are {names}, manifest says {[item.name for item in wanted]}"
        for item, arg in zip(wanted, actual, strict=True):
            problem = _tensor_difference(item, arg)
            if problem:
                return f"{kind} {item.name!r}: {problem}"
    return None


def _tensor_difference(item: TensorSpec, arg: Any) -> str | None:
    dtype = _ORT_TYPES.get(arg.type, arg.type)
    if dtype != item.dtype:
        return f"dtype is {dtype}, manifest says {item.dtype}"
    shape = list(arg.shape)
    if len(shape) != len(item.shape):
        return f"shape is {shape}, manifest says {list(item.shape)}"
    for want, have in zip(item.shape, shape, strict=True):
        fixed_want, fixed_have = isinstance(want, int), isinstance(have, int)
        if fixed_want != fixed_have or (fixed_want and want != have):
            return f"shape is {shape}, manifest says {list(item.shape)}"
    return None


def load_adapter(
    manifest: Manifest, home: Path | None = None, threads: int = 1, device: str = "cpu"
) -> Any:
    """The family adapter for `manifest`, with verified session(s) on `device`."""
    cls = adapter_class(manifest.family)
    rewrite = getattr(cls, "graph_rewrite", None)
    if list(manifest.parts) == ["model"]:
        session: Any = open_session(manifest, "model", home, threads, rewrite, device)
    else:
        session = {
            part: open_session(manifest, part, home, threads, rewrite, device)
            for part in manifest.parts
        }
    try:
        return cls(manifest, session)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"model {manifest.name!r}: bad params for family {manifest.family}: {exc}"
        ) from exc


def verify(manifest: Manifest, home: Path | None = None) -> str | None:
    """Re-check every file of a model; the problem as one line, or None when it is fine."""
    try:
        for part in manifest.parts:
            open_session(manifest, part, home)
    except ModelError as exc:
        return str(exc)
    return None
