"""Exact, in-memory rewrites of a verified model's graph for onnxruntime's faster kernels.

A rewrite never touches the file on disk (its sha256 is checked before) and never
changes a result: it only expresses an operator with others that give bit-identical
outputs. An adapter family opts in with a `graph_rewrite` class attribute.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

ZERO = "dftriage_prelu_zero"


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
