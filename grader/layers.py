"""Reading layer tables: the shape of a model as a student would describe it.

Pure functions over the model summaries the probe writes (plain dicts). A model
``Dense(16) -> ReLU() -> Dense(10) -> Softmax()`` and one built with
``Dense(16, activation="relu")`` read the same here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

ACTIVATION_LAYERS = {
    "ReLU": "relu",
    "Softmax": "softmax",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "prelu",
}
SHAPE_ONLY = {"InputLayer", "Flatten", "Reshape"}
DENSE_FAMILY = {
    "Dense",
    "Dropout",
    "BatchNormalization",
    "Activation",
    "GaussianNoise",
    "Rescaling",
    "Normalization",
    *ACTIVATION_LAYERS,
    *SHAPE_ONLY,
}
WEIGHTED = {"Dense", "Conv2D", "Conv1D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D"}

Block = dict[str, Any]


def blocks(layers: Sequence[Mapping[str, Any]]) -> list[Block]:
    """Fold a layer table into blocks: activation layers join the layer before them."""
    out: list[Block] = []
    for layer in layers:
        cls = layer.get("class_name", "?")
        if cls in SHAPE_ONLY:
            continue
        if cls == "Activation" or cls in ACTIVATION_LAYERS:
            act = layer.get("activation") if cls == "Activation" else ACTIVATION_LAYERS[cls]
            last = out[-1] if out else None
            if last and last["kind"] in WEIGHTED and last.get("activation") in (None, "linear"):
                last["activation"] = act
            else:
                out.append({"kind": "Activation", "activation": act})
            continue
        block: Block = {"kind": cls}
        for key in ("units", "filters", "kernel_size", "rate"):
            if layer.get(key) is not None:
                block[key] = layer[key]
        if cls in WEIGHTED:
            block["activation"] = layer.get("activation") or "linear"
        out.append(block)
    return out


SHORT = {"BatchNormalization": "BatchNorm", "MaxPooling2D": "MaxPool",
         "AveragePooling2D": "AvgPool", "GlobalAveragePooling2D": "GlobalAvgPool"}


def describe_block(block: Mapping[str, Any]) -> str:
    """One block in a line, e.g. ``Dense(16, relu)``, ``Conv2D(32)``, ``relu``."""
    kind = block["kind"]
    if kind in WEIGHTED:
        size = block.get("units", block.get("filters", "?"))
        act = block.get("activation", "linear")
        return f"{kind}({size})" if act in (None, "linear") else f"{kind}({size}, {act})"
    if kind == "Dropout":
        return f"Dropout({block.get('rate', '?')})"
    if kind == "Activation":
        return str(block.get("activation"))
    return SHORT.get(kind, kind)


def describe(layers: Sequence[Mapping[str, Any]]) -> str:
    """A whole layer table as one line, ``Dense(16, relu) → Dense(10, softmax)``."""
    return " → ".join(describe_block(b) for b in blocks(layers)) or "(no layers)"


def input_size(summary: Mapping[str, Any]) -> int | None:
    """Number of input values per example, or None if unknown."""
    shape = summary.get("input_shape") or []
    dims = shape[1:]
    if not dims or any(d is None for d in dims):
        return None
    return math.prod(dims)


def output_size(summary: Mapping[str, Any]) -> int | None:
    """Number of output values per example (a 28×28 image out counts 784), or None."""
    shape = summary.get("output_shape") or []
    dims = shape[1:]
    if not dims or any(d is None for d in dims):
        return None
    return math.prod(dims)


def is_mlp(summary: Mapping[str, Any]) -> bool:
    """True when the model is built only from dense-network layers."""
    layers = summary.get("layers") or []
    kinds = {layer.get("class_name") for layer in layers}
    return "Dense" in kinds and kinds <= DENSE_FAMILY


def is_cnn(summary: Mapping[str, Any]) -> bool:
    """True when the model has at least one convolution."""
    return any(layer.get("class_name", "").startswith(("Conv", "SeparableConv", "Depthwise"))
               for layer in summary.get("layers") or [])


def padded_mnist(summary: Mapping[str, Any]) -> bool:
    """True when the model takes 32×32 images: MNIST padded by 2 pixels (LeNet-5)."""
    dims = (summary.get("input_shape") or [])[1:]
    return sorted(d for d in dims if d is not None) in ([32, 32], [1, 32, 32]) and \
        None not in dims


def fits(summary: Mapping[str, Any], inputs: int = 784, outputs: int = 10) -> bool:
    """True when the model maps ``inputs`` values (784: a 28×28 image) to ``outputs`` scores.

    A model taking 32×32 images fits MNIST too: the grader pads the images for it.
    """
    takes = input_size(summary) == inputs or (inputs == 784 and padded_mnist(summary))
    return takes and output_size(summary) == outputs


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two block sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def distance(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> tuple[int, int]:
    """How far a model is from a reference: (block edits, parameter difference)."""
    ours = [describe_block(b) for b in blocks(summary.get("layers") or [])]
    theirs = [describe_block(b) for b in blocks(reference.get("layers") or [])]
    params = abs(int(summary.get("total_params") or 0) - int(reference.get("total_params") or 0))
    return edit_distance(ours, theirs), params


def compare(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The two layer tables side by side, aligned; rows that differ have ``same`` False.

    A layer only one model has faces an empty cell (None) in the other column.
    """
    import difflib

    ours = [describe_block(b) for b in blocks(summary.get("layers") or [])]
    theirs = [describe_block(b) for b in blocks(reference.get("layers") or [])]
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = ours[i1:i2], theirs[j1:j2]
        for k in range(max(len(a), len(b))):
            mine = a[k] if k < len(a) else None
            ref = b[k] if k < len(b) else None
            rows.append({"yours": mine, "reference": ref, "same": op == "equal"})
    return rows
