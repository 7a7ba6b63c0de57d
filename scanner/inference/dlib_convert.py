"""Convert dlib's face-recognition ResNet (`face_recognition_models`) into an ONNX file.

One ONNX node per dlib layer, named after dlib's own `layer<i>` numbering, so the
graph can be read side by side with `print(net)` in dlib. The input is the chip
itself (uint8 RGB, N×150×150×3); the normalisation dlib's `input_rgb_image_sized`
does, (pixel − mean) / 256 per channel, is inside the graph, with the means read
from the file. The output is dlib's 128-d descriptor, not normalised.

Where dlib's `add_prev` adds tensors of different shapes (the down-sampling blocks
of this network at 3×3 vs 4×4 and 1×1 vs 2×2), dlib's result has the larger shape
and treats missing elements as zero: the graph zero-pads the smaller operand at the
bottom/right and the missing channels, which is exactly that.

The build is deterministic (fixed opset, IR version, producer and node order;
weights copied bit for bit), so the result's sha256 is pinned here and in
`models/dlib_resnet_v1.yaml`; a different result is an error, never a model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from scanner.errors import ModelError
from scanner.hashing.crypto import sha256_file
from scanner.inference.dlib_resnet import DlibResnet, Layer, parse_dlib_resnet

ONNX_NAME = "dlib_resnet_v1.onnx"
DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"
DAT_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
ONNX_SHA256 = "11e13bdccd720dce98468137938c1bb305952e0ba3ab027cf9862e43c27fb0ad"
INPUT_NAME = "chips"
OUTPUT_NAME = "embedding"
OPSET = 13
IR_VERSION = 7
PRODUCER = "dftriage dlib_convert"
PRODUCER_VERSION = "1"

log = logging.getLogger(__name__)

Shape = tuple[int, int, int]  # channels, rows, columns


class _Graph:
    """Accumulates nodes and initialisers while tracking each tensor's (C, H, W)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.shapes: dict[str, Shape] = {}

    def const(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, shape: Shape, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        self.shapes[name] = shape
        return name


def _out_size(size: int, window: int, stride: int, padding: int) -> int:
    return 1 + (size + 2 * padding - window) // stride


def _input(graph: _Graph, net: DlibResnet) -> str:
    size = net.size
    as_float = graph.node(
        "Cast", [INPUT_NAME], "input_float", (3, size, size), to=TensorProto.FLOAT
    )
    nchw = graph.node("Transpose", [as_float], "input_nchw", (3, size, size), perm=[0, 3, 1, 2])
    means = graph.const("input_means", np.array(net.means, np.float32).reshape(1, 3, 1, 1))
    centred = graph.node("Sub", [nchw, means], "input_centred", (3, size, size))
    scale = graph.const("input_scale", np.array(1.0 / 256.0, dtype=np.float32))
    return graph.node(
        "Mul", [centred, scale], f"layer<{len(net.layers) + 1}>_input", (3, size, size)
    )


def _con(graph: _Graph, layer: Layer, x: str, name: str) -> str:
    if layer.weights is None or layer.bias is None:
        raise ModelError(f"{name}: convolution without weights")
    _, rows, cols = graph.shapes[x]
    k, s, p = layer.spec.size, layer.spec.stride, layer.padding
    shape = (layer.spec.outputs, _out_size(rows, k, s, p), _out_size(cols, k, s, p))
    w = graph.const(f"{name}.filters", layer.weights)
    b = graph.const(f"{name}.biases", layer.bias)
    return graph.node(
        "Conv", [x, w, b], name, shape, kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p]
    )


def _affine(graph: _Graph, layer: Layer, x: str, name: str) -> str:
    if layer.weights is None or layer.bias is None:
        raise ModelError(f"{name}: affine layer without gamma/beta")
    shape = graph.shapes[x]
    gamma = graph.const(f"{name}.gamma", layer.weights.reshape(1, -1, 1, 1))
    beta = graph.const(f"{name}.beta", layer.bias.reshape(1, -1, 1, 1))
    scaled = graph.node("Mul", [x, gamma], f"{name}.scaled", shape)
    return graph.node("Add", [scaled, beta], name, shape)


def _pool(graph: _Graph, layer: Layer, x: str, name: str) -> str:
    channels, rows, cols = graph.shapes[x]
    spec = layer.spec
    if spec.size == 0:
        return graph.node("GlobalAveragePool", [x], name, (channels, 1, 1))
    k, s, p = spec.size, spec.stride, layer.padding
    shape = (channels, _out_size(rows, k, s, p), _out_size(cols, k, s, p))
    op = "MaxPool" if spec.kind == "max_pool" else "AveragePool"
    return graph.node(op, [x], name, shape, kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)


def _pad_to(graph: _Graph, x: str, target: Shape, name: str) -> str:
    shape = graph.shapes[x]
    if shape == target:
        return x
    extra = [t - c for t, c in zip(target, shape, strict=True)]
    pads = graph.const(f"{name}.pads", np.array([0, 0, 0, 0, 0, *extra], dtype=np.int64))
    return graph.node("Pad", [x, pads], name, target, mode="constant")


def _add_prev(graph: _Graph, x: str, tagged: str, name: str) -> str:
    target = tuple(max(a, b) for a, b in zip(graph.shapes[x], graph.shapes[tagged], strict=True))
    shape: Shape = (target[0], target[1], target[2])
    left = _pad_to(graph, x, shape, f"{name}.pad_block")
    right = _pad_to(graph, tagged, shape, f"{name}.pad_shortcut")
    return graph.node("Add", [left, right], name, shape)


def _fc(graph: _Graph, layer: Layer, x: str, name: str) -> str:
    if layer.weights is None:
        raise ModelError(f"{name}: fc layer without weights")
    channels, rows, cols = graph.shapes[x]
    flat = graph.node("Flatten", [x], f"{name}.flatten", (channels * rows * cols, 1, 1), axis=1)
    w = graph.const(f"{name}.weights", layer.weights)
    return graph.node("MatMul", [flat, w], name, (layer.spec.outputs, 1, 1))


def _layers(graph: _Graph, net: DlibResnet, x: str) -> str:
    tags: dict[int, str] = {}
    for layer in net.layers:
        kind = layer.spec.kind
        name = f"layer<{layer.index}>_{kind}"
        if kind == "tag":
            tags[layer.spec.tag] = x
        elif kind == "skip":
            x = tags[layer.spec.tag]
        elif kind == "con":
            x = _con(graph, layer, x, name)
        elif kind == "affine":
            x = _affine(graph, layer, x, name)
        elif kind == "relu":
            x = graph.node("Relu", [x], name, graph.shapes[x])
        elif kind in ("max_pool", "avg_pool"):
            x = _pool(graph, layer, x, name)
        elif kind == "add_prev":
            x = _add_prev(graph, x, tags[layer.spec.tag], name)
        elif kind == "fc":
            x = _fc(graph, layer, x, name)
        else:
            raise ModelError(f"{name}: no ONNX translation for dlib layer kind {kind!r}")
    return x


def build_model(net: DlibResnet, source_sha256: str) -> onnx.ModelProto:
    """The ONNX model equivalent to `net` (input uint8 N×150×150×3 RGB, output N×128)."""
    graph = _Graph()
    last = _layers(graph, net, _input(graph, net))
    graph.nodes.append(helper.make_node("Identity", [last], [OUTPUT_NAME], name=OUTPUT_NAME))
    size, outputs = net.size, net.layers[-1].spec.outputs
    body = helper.make_graph(
        graph.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.UINT8, ["N", size, size, 3])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", outputs])],
        initializer=graph.weights,
    )
    model = helper.make_model(
        body,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
        producer_version=PRODUCER_VERSION,
        doc_string=(
            "dlib_face_recognition_resnet_model_v1 (Davis E. King, public domain / CC0) "
            "converted by dftriage; input: aligned 150x150 RGB face chips, uint8 NHWC; "
            "output: dlib's 128-d face descriptor (compare by Euclidean distance, 0.6)."
        ),
    )
    helper.set_model_props(
        model,
        {
            "source_file": DAT_NAME,
            "source_sha256": source_sha256,
            "source_package": "face_recognition_models",
            "license": "CC0-1.0 (dlib model, public domain)",
            "distance_threshold": repr(net.distance_threshold),
        },
    )
    onnx.checker.check_model(model)
    return model


def locate_dat() -> Path:
    """The .dat inside the installed `face_recognition_models` (found, never imported)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the face_recognition_models package is not installed; "
            "install it (pip install face_recognition_models) to build the dlib-resnet embedder"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / DAT_NAME
    if not path.is_file():
        raise ModelError(f"face_recognition_models is installed but {path} is missing")
    return path


def convert(dat: Path) -> bytes:
    """Parse `dat` and return the serialised ONNX model (deterministic bytes)."""
    data = dat.read_bytes()
    source_sha = hashlib.sha256(data).hexdigest()
    net = parse_dlib_resnet(data, dat)
    result: bytes = build_model(net, source_sha).SerializeToString(deterministic=True)
    return result


def _write_atomically(target: Path, payload: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def build_dlib_onnx(
    home: Path, dat: Path | None = None, expected_sha256: str = ONNX_SHA256
) -> Path:
    """Build `home/models/dlib_resnet_v1.onnx` from the .dat once; verify its pinned sha256.

    Idempotent: an existing file with the pinned hash is kept. A damaged .dat is a
    ModelError naming the byte offset; a result with another hash is a ModelError
    and nothing is written.
    """
    target = home / "models" / ONNX_NAME
    if target.is_file():
        found = sha256_file(target)
        if found == expected_sha256:
            return target
        log.warning(
            "rebuilding %s: its sha256 %s is not the pinned %s", target, found, expected_sha256
        )
    source = dat if dat is not None else locate_dat()
    payload = convert(source)
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected_sha256:
        raise ModelError(
            f"converting {source} gave an ONNX model with sha256 {actual}, "
            f"expected {expected_sha256} (is {DAT_NAME} the face_recognition_models 0.3.0 "
            f"file with sha256 {DAT_SHA256}?); nothing was written"
        )
    _write_atomically(target, payload)
    return target


def build_for(home: Path, manifest: object = None) -> Path:
    """The `dlib-resnet` builder of `builders.py` (the manifest pins the same sha256)."""
    return build_dlib_onnx(home)
