"""Read `dlib_face_recognition_resnet_model_v1.dat` into plain numpy weights.

The file holds weights and version strings only; the wiring (which layer adds
which tagged tensor) comes from `anet_type` in dlib's
`examples/dnn_face_recognition_ex.cpp`, re-stated below as `ANET_LAYERS`, and
every version string and hyper-parameter read from the file is checked against it.

Stream layout (dlib/dnn/core.h): the loss layer (version, "loss_metric_2",
margin, distance threshold), then each layer's version number from the outermost
layer to the innermost, then the input layer, then each layer's details from the
innermost to the outermost (details, three bools, and the x_grad / cached_output /
params_grad tensors a trained network leaves empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scanner.inference.dlib_serial import DlibReader


@dataclass(frozen=True)
class LayerSpec:
    """One layer of `anet_type`: kind and the template arguments dlib fixes at compile time."""

    kind: str  # con, affine, relu, max_pool, avg_pool, add_prev, tag, skip, fc
    outputs: int = 0  # con: filters; fc: outputs
    size: int = 0  # con and pools: window (0 = the whole input)
    stride: int = 1
    tag: int = 0  # tag, skip, add_prev: tag number


@dataclass(frozen=True)
class Layer:
    """A parsed layer: its spec, dlib's `layer<index>` number and its weights."""

    index: int
    spec: LayerSpec
    padding: int = 0
    weights: np.ndarray | None = None  # con: OIHW; affine: gamma (C,); fc: W (in, out)
    bias: np.ndarray | None = None  # con: (O,); affine: beta (C,)


@dataclass(frozen=True)
class DlibResnet:
    """The whole network: input normalisation and layers from the input to the embedding."""

    means: tuple[float, float, float]  # red, green, blue
    size: int
    margin: float
    distance_threshold: float
    layers: list[Layer] = field(default_factory=list)


def _block(filters: int, stride: int) -> list[LayerSpec]:
    con = LayerSpec("con", outputs=filters, size=3, stride=1)
    first = LayerSpec("con", outputs=filters, size=3, stride=stride)
    return [LayerSpec("affine"), con, LayerSpec("relu"), LayerSpec("affine"), first]


def _ares(filters: int) -> list[LayerSpec]:
    return [
        LayerSpec("relu"),
        LayerSpec("add_prev", tag=1),
        *_block(filters, 1),
        LayerSpec("tag", tag=1),
    ]


def _ares_down(filters: int) -> list[LayerSpec]:
    return [
        LayerSpec("relu"),
        LayerSpec("add_prev", tag=2),
        LayerSpec("avg_pool", size=2, stride=2),
        LayerSpec("skip", tag=1),
        LayerSpec("tag", tag=2),
        *_block(filters, 2),
        LayerSpec("tag", tag=1),
    ]


ANET_LAYERS: list[LayerSpec] = [
    LayerSpec("fc", outputs=128),
    LayerSpec("avg_pool", size=0, stride=1),
    *_ares_down(256),
    *_ares(256),
    *_ares(256),
    *_ares_down(256),
    *_ares(128),
    *_ares(128),
    *_ares_down(128),
    *_ares(64),
    *_ares(64),
    *_ares(64),
    *_ares_down(64),
    *_ares(32),
    *_ares(32),
    *_ares(32),
    LayerSpec("max_pool", size=3, stride=2),
    LayerSpec("relu"),
    LayerSpec("affine"),
    LayerSpec("con", outputs=32, size=7, stride=2),
]
"""`anet_type`, outermost (after the loss) to innermost (above the input layer)."""

_VERSION_STRINGS = {
    "con": "con_4",
    "affine": "affine_",
    "relu": "relu_",
    "max_pool": "max_pool_2",
    "avg_pool": "avg_pool_2",
    "add_prev": "add_prev_",
    "fc": "fc_2",
}
_CONV_MODE = 0
_FC_NO_BIAS = 1
INPUT_SIZE = 150


def _read_versions(reader: DlibReader) -> list[int]:
    """Layer version numbers, outermost to innermost (add_layer 1-2; tag, skip 1; bottom 2-3)."""
    versions = []
    last = len(ANET_LAYERS) - 1
    for position, spec in enumerate(ANET_LAYERS):
        what = f"the version of layer<{position + 1}> ({spec.kind})"
        start = reader.offset
        version = reader.integer(what)
        allowed = (1,) if spec.kind in ("tag", "skip") else (2, 3) if position == last else (1, 2)
        if version not in allowed:
            raise reader.fail(f"{what} in {allowed}", str(version), start)
        versions.append(version)
    return versions


def _read_input(reader: DlibReader) -> tuple[tuple[float, float, float], int]:
    reader.expect_string("input_rgb_image_sized", "the input layer version string")
    means = tuple(reader.real(f"the {c} mean of the input layer") for c in ("red", "green", "blue"))
    rows = reader.expect_int(INPUT_SIZE, "the input rows (NR)")
    reader.expect_int(INPUT_SIZE, "the input columns (NC)")
    return (means[0], means[1], means[2]), rows


def _expect_dims(
    reader: DlibReader, found: tuple[int, ...], expected: tuple[int, ...], what: str, start: int
) -> None:
    if tuple(found) != tuple(expected):
        raise reader.fail(f"{what} of shape {expected}", f"shape {tuple(found)}", start)


def _read_con(reader: DlibReader, spec: LayerSpec, channels: int, name: str) -> Layer:
    start = reader.offset
    params = reader.tensor(f"the parameters of {name}")
    header = [
        ("num_filters", spec.outputs),
        ("nr", spec.size),
        ("nc", spec.size),
        ("stride_y", spec.stride),
        ("stride_x", spec.stride),
    ]
    for field_name, value in header:
        reader.expect_int(value, f"{field_name} of {name}")
    padding = 0 if spec.stride != 1 else spec.size // 2
    reader.expect_int(padding, f"padding_y of {name}")
    reader.expect_int(padding, f"padding_x of {name}")
    shape = (spec.outputs, channels, spec.size, spec.size)
    at = reader.offset
    _expect_dims(reader, reader.alias(f"the filters of {name}"), shape, "filters", at)
    at = reader.offset
    _expect_dims(reader, reader.alias(f"the biases of {name}"), (1, spec.outputs, 1, 1), "bias", at)
    for multiplier in ("learning rate", "weight decay", "bias learning rate", "bias weight decay"):
        reader.real(f"the {multiplier} multiplier of {name}")
    count = int(np.prod(shape))
    if params.size != count + spec.outputs:
        raise reader.fail(f"{count + spec.outputs} parameters in {name}", str(params.size), start)
    flat = params.reshape(-1)
    return Layer(
        index=0,
        spec=spec,
        padding=padding,
        weights=flat[:count].reshape(shape),
        bias=flat[count:].copy(),
    )


def _read_affine(reader: DlibReader, spec: LayerSpec, channels: int, name: str) -> Layer:
    start = reader.offset
    params = reader.tensor(f"the parameters of {name}")
    at = reader.offset
    _expect_dims(reader, reader.alias(f"gamma of {name}"), (1, channels, 1, 1), "gamma", at)
    at = reader.offset
    _expect_dims(reader, reader.alias(f"beta of {name}"), (1, channels, 1, 1), "beta", at)
    reader.expect_int(_CONV_MODE, f"the mode of {name} (CONV_MODE)")
    if params.size != 2 * channels:
        raise reader.fail(f"{2 * channels} parameters in {name}", str(params.size), start)
    flat = params.reshape(-1)
    return Layer(index=0, spec=spec, weights=flat[:channels].copy(), bias=flat[channels:].copy())


def _read_pool(reader: DlibReader, spec: LayerSpec, name: str) -> Layer:
    for field_name, value in (("nr", spec.size), ("nc", spec.size)):
        reader.expect_int(value, f"{field_name} of {name}")
    for field_name in ("stride_y", "stride_x"):
        reader.expect_int(spec.stride, f"{field_name} of {name}")
    padding = 0 if spec.stride != 1 else spec.size // 2
    reader.expect_int(padding, f"padding_y of {name}")
    reader.expect_int(padding, f"padding_x of {name}")
    return Layer(index=0, spec=spec, padding=padding)


def _read_fc(reader: DlibReader, spec: LayerSpec, channels: int, name: str) -> Layer:
    reader.expect_int(spec.outputs, f"num_outputs of {name}")
    reader.expect_int(channels, f"num_inputs of {name}")
    start = reader.offset
    params = reader.tensor(f"the parameters of {name}")
    _expect_dims(reader, params.shape, (channels, spec.outputs, 1, 1), "fc parameters", start)
    at = reader.offset
    _expect_dims(
        reader, reader.alias(f"weights of {name}"), (channels, spec.outputs, 1, 1), "W", at
    )
    reader.alias(f"biases of {name}")
    reader.expect_int(_FC_NO_BIAS, f"the bias mode of {name} (FC_NO_BIAS)")
    for multiplier in ("learning rate", "weight decay", "bias learning rate", "bias weight decay"):
        reader.real(f"the {multiplier} multiplier of {name}")
    return Layer(index=0, spec=spec, weights=params.reshape(channels, spec.outputs).copy())


def _read_details(reader: DlibReader, spec: LayerSpec, channels: int, name: str) -> Layer:
    reader.expect_string(_VERSION_STRINGS[spec.kind], f"the version string of {name}")
    if spec.kind == "con":
        return _read_con(reader, spec, channels, name)
    if spec.kind == "affine":
        return _read_affine(reader, spec, channels, name)
    if spec.kind in ("max_pool", "avg_pool"):
        return _read_pool(reader, spec, name)
    if spec.kind == "fc":
        return _read_fc(reader, spec, channels, name)
    return Layer(index=0, spec=spec)


def _read_state(reader: DlibReader, version: int, bottom: bool, name: str) -> None:
    """The bookkeeping every add_layer writes after its details (ignored, but checked)."""
    for flag in ("this_layer_setup_called", "gradient_input_is_stale", "output_disabled"):
        reader.boolean(f"{flag} of {name}")
    reader.tensor(f"x_grad of {name}")
    reader.tensor(f"cached_output of {name}")
    if bottom:
        reader.tensor(f"grad_final of {name}")
        if version >= 3:
            reader.integer(f"the sample expansion factor of {name}")
    elif version == 2:
        reader.tensor(f"params_grad of {name}")


def _channels_after(spec: LayerSpec, channels: int, tags: dict[int, int]) -> int:
    if spec.kind in ("con", "fc"):
        return spec.outputs
    if spec.kind == "tag":
        tags[spec.tag] = channels
    if spec.kind == "skip":
        return tags[spec.tag]
    if spec.kind == "add_prev":
        return max(channels, tags[spec.tag])
    return channels


def parse_dlib_resnet(data: bytes, source: str | Path) -> DlibResnet:
    """Parse the bytes of `dlib_face_recognition_resnet_model_v1.dat`; ModelError on any mismatch."""
    reader = DlibReader(data, source)
    reader.expect_int(1, "the version of the loss layer (add_loss_layer)")
    reader.expect_string("loss_metric_2", "the loss layer version string")
    margin = reader.real("the loss margin")
    threshold = reader.real("the loss distance threshold")
    versions = _read_versions(reader)
    means, size = _read_input(reader)
    layers: list[Layer] = []
    channels = 3
    tags: dict[int, int] = {}
    count = len(ANET_LAYERS)
    for position in reversed(range(count)):
        spec = ANET_LAYERS[position]
        name = f"layer<{position + 1}> ({spec.kind})"
        if spec.kind in ("tag", "skip"):
            layer = Layer(index=position + 1, spec=spec)
        else:
            parsed = _read_details(reader, spec, channels, name)
            _read_state(reader, versions[position], position == count - 1, name)
            layer = Layer(position + 1, spec, parsed.padding, parsed.weights, parsed.bias)
        layers.append(layer)
        channels = _channels_after(spec, channels, tags)
    reader.expect_end()
    return DlibResnet(means, size, margin, threshold, layers)


def read_dlib_resnet(path: Path) -> DlibResnet:
    """Read and parse a `.dat` file (see `parse_dlib_resnet`)."""
    return parse_dlib_resnet(path.read_bytes(), path)
