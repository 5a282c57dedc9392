"""Digit images as PNG files: the pack's examples and the grader's own.

Some assignments ask students to classify 28×28 greyscale PNGs (white digit on
black). The grader measures the graded model on the pack's example PNGs and on
PNGs it renders itself from MNIST test images students never see as files, so a
student's ``apply()`` can be compared with what the model really does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from grader.assignment.pack import Pack
from grader.errors import DataError
from grader.evaluate.data import load_mnist


def read_png(path: Path) -> np.ndarray:
    """A 28×28 greyscale PNG as uint8 pixels, with a clear error for anything else."""
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable image ({exc})", path=path) from None
    if pixels.shape != (28, 28):
        raise DataError(f"image is {pixels.shape[1]}×{pixels.shape[0]} pixels, not 28×28",
                        path=path)
    return pixels


def write_png(pixels: np.ndarray, path: Path) -> Path:
    """Save uint8 pixels as a greyscale PNG."""
    Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode="L").save(path)
    return path


def example_set(pack: Pack) -> dict[str, Any] | None:
    """The pack's example PNGs and their labels (``[images] examples`` in the spec)."""
    if pack.spec.example_images is None:
        return None
    labels_path = pack.root / pack.spec.example_images
    try:
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the example labels ({exc})", path=labels_path) from None
    files = sorted(labels)
    x = np.stack([read_png(pack.root / f) for f in files])
    return {"x": x, "y": np.array([int(labels[f]) for f in files]), "files": files}


def own_set(mnist_path: Path, count: int, cache_dir: Path) -> dict[str, Any] | None:
    """``count`` PNGs the grader renders from the last MNIST test images, read back as PNGs."""
    if count <= 0:
        return None
    data = load_mnist(mnist_path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    x, y = data["x_test"][-count:], data["y_test"][-count:]
    files = []
    for i, pixels in enumerate(x):
        path = cache_dir / f"grader_digit_{i:04d}.png"
        if not path.exists():
            write_png(pixels, path)
        files.append(path)
    return {"x": np.stack([read_png(f) for f in files]), "y": y.astype(int),
            "files": [f.name for f in files]}


def image_sets(pack: Pack, mnist_path: Path, cache_dir: Path) -> dict[str, dict[str, Any]]:
    """Every image set the pack asks for, by name (``examples``, ``own``)."""
    sets = {"examples": example_set(pack),
            "own": own_set(mnist_path, pack.spec.own_images, cache_dir)}
    return {name: s for name, s in sets.items() if s is not None}
