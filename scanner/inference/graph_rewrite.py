"""Exact, in-memory rewrites of a verified model's graph for onnxruntime's faster kernels.

A rewrite never touches the file on disk (its sha256 is checked before) and never
changes a result: it only expresses an operator with others that give bit-identical
outputs. An adapter family opts in with a `graph_rewrite` class attribute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

ZERO = "dftriage_prelu_zero"
BLOCK = 16
"""Channels per block of onnxruntime's blocked (NCHWc) convolution layout with AVX-512
(8 with AVX2, which divides it): channel counts that are multiples of it stay blocked."""


def mtcnn_rewrite(model: onnx.ModelProto) -> onnx.ModelProto:
    """The MTCNN networks' rewrite: P-Net's first PRelu after its max-pooling
    (`pool_before_prelu`), R-Net's channels padded to whole blocks (`pad_to_blocks`),
    then every PRelu as operators onnxruntime runs fast (`prelu_blocked`)."""
    return prelu_blocked(pad_to_blocks(pool_before_prelu(model)))


def pool_before_prelu(model: onnx.ModelProto) -> onnx.ModelProto:
    """Conv → PRelu → MaxPool with fewer than BLOCK channels (P-Net's first layer: 10
    channels of the full-size pyramid level) with the PRelu after the pooling, on a
    quarter of the values: Max(PRelu(a), PRelu(b)), a the window's largest x and b its
    smallest where the slope is negative (else b = a).

    Exact: a PRelu with slope ≥ 0 never decreases, so its largest value over a window is
    at the window's largest x; with slope < 0 it falls then rises, so the largest is at
    the largest or at the smallest x; max and negation are exact. The smallest x comes
    from the same pooling: the Conv also computes −x for the channels with a negative
    slope (the same filters negated, which negates every product and sum exactly; P-Net:
    10 + 6 filters, one block of onnxruntime's blocked layout, which the Conv filled with
    zero filters anyway), and the pooling's maximum of −x is −min x. The pooled values
    are cut to the real channels before anything else uses them, so the next Conv gets
    the same plain tensor as before.
    """
    graph = model.graph
    tensors = {item.name: item for item in graph.initializer}
    consumers = _consumers(graph)
    producers = {name: node for node in graph.node for name in node.output}
    nodes: list[onnx.NodeProto] = []
    folded: set[str] = set()
    for index, node in enumerate(graph.node):
        if node.output[0] in folded:
            continue
        conv = producers.get(node.input[0]) if node.op_type == "PRelu" else None
        users = consumers.get(node.output[0], [])
        if (
            conv is None
            or conv.op_type != "Conv"
            or len(users) != 1
            or users[0].op_type != "MaxPool"
            or len(users[0].output) != 1
            or not _owned([*conv.input[1:], node.input[1]], tensors, consumers)
            or len(consumers.get(conv.output[0], [])) != 1
            or tensors[conv.input[1]].dims[0] >= BLOCK
        ):
            nodes.append(node)
            continue
        pool, (x, slope), stem = users[0], node.input, f"dftriage_pool_{index}"
        slopes = numpy_helper.to_array(tensors[slope])
        channels = tensors[conv.input[1]].dims[0]
        negative = np.flatnonzero(slopes.reshape(-1) < 0) if slopes.size == channels else None
        if negative is None:  # a shared slope: not P-Net's; left as it is
            nodes.append(node)
            continue
        for name in conv.input[1:]:  # filters (and biases) of −x appended, then zeros
            array = numpy_helper.to_array(tensors[name])
            grown = np.concatenate([array, -array[negative]])
            widths = [(0, -len(grown) % BLOCK)] + [(0, 0)] * (array.ndim - 1)
            tensors[name].CopyFrom(numpy_helper.from_array(np.pad(grown, widths), name))
        smallest = np.arange(channels)
        smallest[negative] = channels + np.arange(len(negative))
        sign = np.where(slopes.reshape(1, -1, 1, 1) < 0, -1, 1).astype(np.float32)
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([0], np.int64), f"{stem}_start"),
                numpy_helper.from_array(np.array([channels], np.int64), f"{stem}_end"),
                numpy_helper.from_array(np.array([1], np.int64), f"{stem}_axis"),
                numpy_helper.from_array(smallest.astype(np.int64), f"{stem}_smallest"),
                numpy_helper.from_array(sign, f"{stem}_sign"),
            ]
        )
        bounds = [f"{stem}_{part}" for part in ("start", "end", "axis")]
        nodes += [
            _copy(pool, x, f"{stem}_pooled"),
            helper.make_node("Slice", [f"{stem}_pooled", *bounds], [f"{stem}_a"]),
            helper.make_node(
                "Gather", [f"{stem}_pooled", f"{stem}_smallest"], [f"{stem}_signed_b"], axis=1
            ),
            helper.make_node("Mul", [f"{stem}_signed_b", f"{stem}_sign"], [f"{stem}_b"]),
            helper.make_node("PRelu", [f"{stem}_a", slope], [f"{stem}_fa"]),
            helper.make_node("PRelu", [f"{stem}_b", slope], [f"{stem}_fb"]),
            helper.make_node("Max", [f"{stem}_fa", f"{stem}_fb"], list(pool.output)),
        ]
        folded.add(pool.output[0])
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def _copy(pool: onnx.NodeProto, source: str, target: str) -> onnx.NodeProto:
    """`pool` (its kind and attributes) on `source`, giving `target`."""
    node = onnx.NodeProto()
    node.CopyFrom(pool)
    node.name = target
    del node.input[:], node.output[:]
    node.input.append(source)
    node.output.append(target)
    return node


def _consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    """Tensor name → the nodes that read it."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    return consumers


def _owned(
    names: Sequence[str],
    tensors: Mapping[str, onnx.TensorProto],
    consumers: Mapping[str, list[onnx.NodeProto]],
) -> bool:
    """True when every one of `names` is an initializer read by one node only."""
    return all(name in tensors and len(consumers.get(name, [])) == 1 for name in names)


def prelu_blocked(model: onnx.ModelProto) -> onnx.ModelProto:
    """Every PRelu(x, slope) as Relu(x) + (−slope) · Relu(−1 · x) where x has whole blocks
    of channels (slope of shape (1, C, 1, 1), C a multiple of BLOCK), else as
    Relu(x) + slope · Min(x, 0) (`prelu_as_relu`).

    onnxruntime's blocked layout has no Min: around Relu + slope · Min(x, 0) it converts
    the convolution's output back to the plain layout twice and the sum forward again
    (a third of R-Net's and O-Net's time). Multiplications by a per-channel constant it
    runs as depthwise convolutions of the blocked layout, with the Relu and the Add fused
    into them, so the form above stays blocked. Exact: −1 · x and Relu are exact,
    (−slope) · Relu(−x) = slope · Min(x, 0) bit for bit (rounding is symmetric in sign),
    and one of the two terms of the sum is always zero.
    """
    slopes = _initializers(model)
    graph = model.graph
    if not any(node.op_type == "PRelu" for node in graph.node):
        return model
    nodes = []
    for index, node in enumerate(graph.node):
        slope = slopes.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None or slope.ndim != 4 or slope.shape[1] % BLOCK:
            nodes.append(node)
            continue
        x = node.input[0]
        stem = f"dftriage_prelu_{index}"
        graph.initializer.extend(
            [
                numpy_helper.from_array(-np.ones_like(slope), f"{stem}_minus_one"),
                numpy_helper.from_array(-slope, f"{stem}_minus_slope"),
            ]
        )
        nodes += [
            helper.make_node("Relu", [x], [f"{stem}_pos"]),
            helper.make_node("Mul", [x, f"{stem}_minus_one"], [f"{stem}_negated"]),
            helper.make_node("Relu", [f"{stem}_negated"], [f"{stem}_neg"]),
            helper.make_node("Mul", [f"{stem}_neg", f"{stem}_minus_slope"], [f"{stem}_scaled"]),
            helper.make_node("Add", [f"{stem}_pos", f"{stem}_scaled"], list(node.output)),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return prelu_as_relu(model)


def pad_to_blocks(model: onnx.ModelProto) -> onnx.ModelProto:
    """A Conv → PRelu → MaxPool… → Conv chain with C channels, C above one block but not a
    multiple of BLOCK (R-Net's 28), padded to whole blocks: zero filters with zero bias,
    zero slopes, and zero weights for those channels in the next Conv.

    The extra channels are exact zeros all along and the next Conv adds only exact
    zeros for them (onnxruntime pads the channels to whole blocks with zeros itself;
    padded in the graph, the PRelu can stay blocked). Below one block (P-Net's first
    10 channels) onnxruntime feeds the next Conv from the plain layout with another
    summation order, so those are left as they are.
    """
    graph = model.graph
    tensors = {item.name: item for item in graph.initializer}
    consumers = _consumers(graph)

    def only_user(name: str, kind: str) -> onnx.NodeProto | None:
        users = consumers.get(name, [])
        return users[0] if len(users) == 1 and users[0].op_type == kind else None

    for conv in [node for node in graph.node if node.op_type == "Conv"]:
        prelu = only_user(conv.output[0], "PRelu")
        if prelu is None or not _owned([*conv.input[1:], prelu.input[1]], tensors, consumers):
            continue
        channels = tensors[conv.input[1]].dims[0]
        last = prelu
        while (pool := only_user(last.output[0], "MaxPool")) is not None:
            last = pool
        after = only_user(last.output[0], "Conv")
        if channels < BLOCK or not channels % BLOCK or after is None:
            continue
        if not _owned(after.input[1:2], tensors, consumers):
            continue
        extra = -channels % BLOCK
        for name in conv.input[1:]:
            _pad(tensors[name], 0, extra)
        _pad(tensors[prelu.input[1]], 1, extra)
        _pad(tensors[after.input[1]], 1, extra)
    return model


def _pad(tensor: onnx.TensorProto, axis: int, extra: int) -> None:
    """`tensor` (an initializer) with `extra` zeros appended along `axis`, in place."""
    array = numpy_helper.to_array(tensor)
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, extra)
    tensor.CopyFrom(numpy_helper.from_array(np.pad(array, widths), tensor.name))


def _initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {item.name: numpy_helper.to_array(item) for item in model.graph.initializer}


def prelu_as_relu(model: onnx.ModelProto) -> onnx.ModelProto:
    """Every PRelu(x, slope) as Relu(x) + slope · Min(x, 0).

    onnxruntime's PRelu kernel is a slow generic broadcast (it cost MTCNN about a
    quarter of its time); Relu, Min, Mul and Add are vectorised. For x > 0 both give
    x + slope · 0 = x, for x ≤ 0 both give 0 + slope · x, so outputs are identical.
    """
    graph = model.graph
    if not any(node.op_type == "PRelu" for node in graph.node):
        return model
    graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), ZERO))
    nodes = []
    for index, node in enumerate(graph.node):
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope = node.input
        stem = f"dftriage_prelu_{index}"
        nodes += [
            helper.make_node("Relu", [x], [f"{stem}_pos"]),
            helper.make_node("Min", [x, ZERO], [f"{stem}_neg"]),
            helper.make_node("Mul", [f"{stem}_neg", slope], [f"{stem}_scaled"]),
            helper.make_node("Add", [f"{stem}_pos", f"{stem}_scaled"], list(node.output)),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return model
