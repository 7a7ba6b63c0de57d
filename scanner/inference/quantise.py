"""int8 models made by dftriage from the float models of the PyPI packages.

An int8 manifest (`build: int8`, a `quantise:` block, see manifest.py) names the float
model it is made from. The build (first use, or `dftriage models quantise`) reads that
float file after its sha256 check, pre-processes it with onnxruntime's
`quant_pre_process` (shape inference, constant folding, Conv + Mul + Add fusion) and
quantises it with `onnxruntime.quantization.quantize_static`: int8 weights, uint8
activations (the fast VNNI path on x86), per-channel weights where the manifest says.

The activation ranges are not measured on the user's machine: they were measured once,
with `calibrate`, by the developers on face photos that do not ship (and pictures
generated from them), and are stored in `int8_ranges.py`; the product never reads them. They reach
`quantize_static` as its calibration cache, so the build needs no data, downloads
nothing and is deterministic: its sha256 is pinned in the manifest, and a build with
another hash (another onnxruntime version) is an error and nothing is written; the
float model then stays in use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from scanner.errors import ModelError
from scanner.inference.manifest import SINGLE_PART, Manifest, discover

log = logging.getLogger(__name__)

Ranges = dict[str, tuple[float, float]]
Feed = dict[str, np.ndarray]


@dataclass(frozen=True)
class QuantSpec:
    """How one int8 model is made (the manifest's `quantise:` block)."""

    source: str
    format: str = "qdq"
    per_channel: bool = True
    float_nodes: tuple[str, ...] = ()
    quantised_nodes: tuple[str, ...] = ()

    @classmethod
    def of(cls, manifest: Manifest) -> QuantSpec:
        block = manifest.quantise
        if not block or not isinstance(block.get("from"), str):
            raise ModelError(f"model {manifest.name!r}: 'quantise' needs 'from: FLOAT_MODEL'")
        fmt = str(block.get("format", "qdq")).lower()
        if fmt not in ("qdq", "qoperator"):
            raise ModelError(
                f"model {manifest.name!r}: quantise.format {fmt!r} is not qdq|qoperator"
            )
        if list(manifest.parts) != [SINGLE_PART]:
            raise ModelError(f"model {manifest.name!r}: only single-file models are quantised")
        return cls(
            source=block["from"],
            format=fmt,
            per_channel=bool(block.get("per_channel", True)),
            float_nodes=tuple(str(item) for item in block.get("float_nodes") or ()),
            quantised_nodes=tuple(str(item) for item in block.get("quantised_nodes") or ()),
        )

    def excluded(self, model: onnx.ModelProto) -> list[str]:
        """Names of the nodes of `model` that stay in float."""
        return [
            node.name
            for node in model.graph.node
            if node.name.startswith(self.float_nodes)
            and not (self.quantised_nodes and node.name.startswith(self.quantised_nodes))
        ]


def preprocess(model: bytes) -> bytes:
    """The float model as `quant_pre_process` leaves it (what the ranges refer to)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="dftriage-int8-") as folder:
        source, target = Path(folder) / "float.onnx", Path(folder) / "pre.onnx"
        source.write_bytes(model)
        quant_pre_process(str(source), str(target), skip_symbolic_shape=True)
        return target.read_bytes()


def _ranges_cache(ranges: Mapping[str, tuple[float, float]], path: Path) -> None:
    """Write `ranges` as onnxruntime's MinMax calibration cache."""
    from onnxruntime.quantization.calibrate import (
        CalibrationMethod,
        TensorData,
        TensorsData,
        save_tensors_data,
    )

    data = {
        name: TensorData(lowest=np.float32(low), highest=np.float32(high))
        for name, (low, high) in sorted(ranges.items())
    }
    save_tensors_data(TensorsData(CalibrationMethod.MinMax, data), path)


def quantise(
    pre: bytes,
    spec: QuantSpec,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    feeds: Iterable[Feed] | None = None,
) -> tuple[bytes, Ranges]:
    """Quantise a pre-processed float model with stored `ranges`, or, to calibrate, with
    the MinMax ranges of `feeds` (network inputs); returns the model and the ranges."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    model = onnx.load_model_from_string(pre)
    with tempfile.TemporaryDirectory(prefix="dftriage-int8-") as folder:
        source, target = Path(folder) / "pre.onnx", Path(folder) / "int8.onnx"
        cache = Path(folder) / "ranges.json"
        source.write_bytes(pre)
        if ranges is not None:
            _ranges_cache(ranges, cache)
        elif feeds is None:
            raise ValueError("quantise needs ranges or calibration feeds")
        logging.getLogger().disabled, was = True, logging.getLogger().disabled
        try:
            quantize_static(
                str(source),
                str(target),
                _Reader(feeds) if ranges is None and feeds is not None else None,
                quant_format=QuantFormat.QDQ if spec.format == "qdq" else QuantFormat.QOperator,
                per_channel=spec.per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=spec.excluded(model),
                calibration_cache_path=str(cache),
            )
        finally:
            logging.getLogger().disabled = was
        measured = json.loads(cache.read_text())["data"]
        found: Ranges = {
            name: (_number(item["lowest"]), _number(item["highest"]))
            for name, item in sorted(measured.items())
        }
        return target.read_bytes(), found


def _number(value: Any) -> float:
    if isinstance(value, dict):  # a numpy array in the cache's own encoding
        value = np.asarray(value["data"], dtype=np.float32).reshape(-1)[0]
    return float(np.float32(value))


class _Reader:
    """onnxruntime's CalibrationDataReader over an iterable of input feeds."""

    def __init__(self, feeds: Iterable[Feed]) -> None:
        self._feeds: Iterator[Feed] = iter(feeds)

    def get_next(self) -> Feed | None:
        return next(self._feeds, None)


def int8_bytes(manifest: Manifest, home: Path) -> bytes:
    """The int8 model of `manifest` built from its float model and the stored ranges."""
    from scanner.inference.builders import try_build
    from scanner.inference.int8_ranges import RANGES
    from scanner.inference.session import verified_bytes

    spec = QuantSpec.of(manifest)
    source = discover(home).get(spec.source)
    if source is None:
        raise ModelError(f"model {manifest.name!r}: no float model {spec.source!r}")
    if source.build and not try_build(source, home):
        raise ModelError(f"model {manifest.name!r}: cannot build its float model {source.name!r}")
    ranges = RANGES.get(manifest.name)
    if ranges is None:
        raise ModelError(f"model {manifest.name!r}: no stored calibration ranges")
    _, data = verified_bytes(source, SINGLE_PART, home)
    payload, _ = quantise(preprocess(data), spec, ranges)
    return payload


def build_for(home: Path, manifest: Manifest) -> Path:
    """The `int8` builder: write the int8 file into `home/models/` if its sha256 is the
    manifest's (kept when already there); ModelError and nothing written otherwise."""
    from scanner.hashing.crypto import sha256_file
    from scanner.inference.dlib_convert import _write_atomically

    target = home / "models" / manifest.single.file
    expected = manifest.single.sha256
    if target.is_file() and sha256_file(target) == expected:
        return target
    payload = int8_bytes(manifest, home)
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        import onnxruntime

        raise ModelError(
            f"model {manifest.name!r}: the int8 build gave sha256 {actual}, the manifest "
            f"pins {expected} (measured with onnxruntime 1.32.0, this is "
            f"{onnxruntime.__version__}); nothing was written, the float model stays in use"
        )
    _write_atomically(target, payload)
    return target
