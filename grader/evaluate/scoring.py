"""Scores on held-out data: accuracy, loss and confusion, under the scaling a model expects.

Pure NumPy over a ``predict`` function: the clean evaluation worker
(:mod:`grader.evaluate.workers`) and the reference build (:mod:`grader.grading.reference`) both
measure this way. The input scaling a model expects ([0, 1], raw 0-255 or
standardised) is chosen on training images, never on the test set: the course's
convention, unless the model is clearly more accurate with another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SWITCH_MARGIN = 0.02


def scaling_stats(data: dict[str, np.ndarray], standardise_on: int) -> dict[str, Any]:
    """Training statistics the scalings need; they depend only on the data, not the model."""
    x = data.get("x_train")
    if x is None:
        return {}
    mean, var, constant = _pixel_moments(x)
    pmean, pvar = mean, var
    if 0 < standardise_on < len(x):
        pmean, pvar, constant = _pixel_moments(x[:standardise_on])
    pstd = np.sqrt(pvar)
    pstd[constant | (pstd == 0)] = 1.0
    # every pixel has the same number of images: the overall figures follow from its own
    overall = float(mean.mean())
    overall_var = max(float((var + mean * mean).mean()) - overall * overall, 0.0)
    return {"mean": overall / 255.0, "std": float(np.sqrt(overall_var)) / 255.0,
            "pmean": pmean, "pstd": pstd}


def _pixel_moments(x: np.ndarray, rows: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's mean, population variance and "is constant" over the images of ``x``.

    Integer images (uint8 MNIST) are summed exactly in int64, a few thousand rows at a
    time: float64 copies of 60,000 training images took 3.3 CPU s and 376 MB, the
    sums take a small fraction of that. Other dtypes are read as float64.
    """
    if x.dtype.kind not in "ui" or x.dtype.itemsize > 2:
        f = x.astype("float64")
        return f.mean(axis=0), f.var(axis=0), f.min(axis=0) == f.max(axis=0)
    total = total_sq = 0
    for start in range(0, len(x), rows):
        chunk = x[start:start + rows].astype(np.int64)
        total = total + chunk.sum(axis=0)
        total_sq = total_sq + (chunk * chunk).sum(axis=0)
    mean = np.asarray(total, dtype=np.float64) / len(x)
    var = np.maximum(np.asarray(total_sq, dtype=np.float64) / len(x) - mean * mean, 0.0)
    return mean, var, x.min(axis=0) == x.max(axis=0)


def scale(x: np.ndarray, how: str, stats: dict[str, Any]) -> np.ndarray:
    """Scale images as a student's preprocessing would.

    ``unit``: [0, 1]; ``raw``: as stored; ``standard``: [0, 1] minus the training
    mean over the training standard deviation; ``pixel_standard``: each pixel
    standardised with its own training mean and standard deviation (0 → 1).
    """
    x = x.astype("float32")
    if how == "unit":
        return x / 255.0
    if how == "standard":
        return (x / 255.0 - stats["mean"]) / stats["std"]
    if how == "pixel_standard":
        return ((x - stats["pmean"]) / stats["pstd"]).astype("float32")
    return x


PADDED = "padded by 2 pixels to 32×32 (as LeNet-5 takes MNIST)"


def input_step(size: int, shape: Sequence[int | None]) -> str | None:
    """The standard step a model's input needs beyond a reshape, in words; None if none.

    Flattened, ``(28, 28, 1)`` and channels-first ``(1, 28, 28)`` inputs take the
    images by a reshape; a 32×32 input takes them padded by 2 pixels on each side.
    """
    dims = [d for d in shape[1:] if d is not None]
    if size == 784 and len(dims) == len(shape) - 1 and sorted(dims) in ([32, 32], [1, 32, 32]):
        return PADDED
    return None


def fit_shape(x: np.ndarray, shape: Sequence[int | None]) -> np.ndarray:
    """``x`` reshaped (or padded: :func:`input_step`) to a model's input ``shape``.

    Raises:
        ValueError: in words, when the images do not fit the model's input.
    """
    size = int(np.prod(x.shape[1:]))
    dims = [d for d in shape[1:] if d is not None]
    if input_step(size, shape) == PADDED:
        images = x.reshape((len(x), 28, 28))
        return np.pad(images, ((0, 0), (2, 2), (2, 2))).reshape((len(x), *dims))
    if len(dims) != len(shape) - 1 or int(np.prod(dims)) != size:
        what = "28×28 images" if size == 784 else f"{size} input values"
        raise ValueError(f"its input shape {tuple(shape)} does not take {what}")
    return x.reshape((len(x), *dims))


def _probabilities(out: np.ndarray) -> np.ndarray:
    out = out.astype("float64")
    if out.min() >= 0 and np.allclose(out.sum(axis=1), 1.0, atol=1e-3):
        return out
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)).mean())


def measure(predict: Any, input_shape: Sequence[int | None], data: dict[str, np.ndarray],
            n_classes: int = 10, scalings: Sequence[str] = ("unit", "raw", "standard"),
            standardise_on: int = 0, choose_on: int = 1000,
            stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """Accuracy, loss and confusion matrix of ``predict`` on the test set.

    Args:
        predict: Maps a batch of inputs to class scores (probabilities or logits).
        input_shape: The model's input shape, batch dimension first.
        data: Arrays in Keras layout (``x_test``, ``y_test``; ``x_train``, ``y_train``).
        n_classes: Number of classes.
        scalings: Input scalings to choose from, the course's convention first.
        standardise_on: Training images whose statistics ``pixel_standard`` uses.
        choose_on: Training images used to choose the input scaling: the first
            listed, unless another is clearly (``SWITCH_MARGIN``) more accurate on them.
        stats: :func:`scaling_stats` of ``data``, when the caller keeps them.
    """
    if stats is None:
        stats = scaling_stats(data, standardise_on)
    tried: dict[str, float] = {}
    best = scalings[0]
    if len(scalings) > 1 and "x_train" in data:
        x_tr, y_tr = data["x_train"][:choose_on], data["y_train"][:choose_on].astype(int)
        for how in scalings:
            out = np.asarray(predict(fit_shape(scale(x_tr, how, stats), input_shape)))
            tried[how] = float((out.argmax(axis=1) == y_tr).mean())
        for how in scalings[1:]:
            if tried[how] > tried[best] + SWITCH_MARGIN:
                best = how
    out = np.asarray(predict(fit_shape(scale(data["x_test"], best, stats), input_shape)))
    if out.ndim != 2 or out.shape[1] != n_classes:
        raise ValueError(f"it outputs shape {out.shape[1:]}, not {n_classes} class scores")
    y = data["y_test"].astype(int)
    pred = out.argmax(axis=1)
    loss = _cross_entropy(_probabilities(out), y)
    confusion = np.bincount(y * n_classes + pred, minlength=n_classes**2).reshape(
        n_classes, n_classes)
    return {"accuracy": round(float((pred == y).mean()), 6), "loss": round(loss, 6),
            "confusion": confusion.tolist(), "most_confused": most_confused(confusion),
            "scaling": best, **_step(data["x_test"], input_shape),
            "scaling_train_accuracy": tried, "n_test": int(len(y))}


def _step(x: np.ndarray, input_shape: Sequence[int | None]) -> dict[str, str]:
    """``{"input_step": ...}`` when the images needed one for this model, else nothing."""
    step = input_step(int(np.prod(x.shape[1:])), input_shape)
    return {"input_step": step} if step else {}


def most_confused(confusion: np.ndarray, top: int = 5) -> list[dict[str, int]]:
    """The most frequent mistakes: true class, predicted class, count."""
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    return [{"true": int(i), "predicted": int(j), "count": int(off[i, j])}
            for i, j in zip(*np.unravel_index(order, off.shape), strict=True) if off[i, j] > 0]


def on_images(predict: Any, input_shape: Sequence[int | None], how: str,
              stats: dict[str, Any], images: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The model's predictions and accuracy on each image set, scaled as for the test set."""
    out = {}
    for name, s in images.items():
        pred = np.asarray(predict(fit_shape(scale(s["x"], how, stats), input_shape)))
        labels = pred.argmax(axis=1)
        out[name] = {"files": list(s["files"]), "predictions": labels.tolist(),
                     "labels": [int(v) for v in s["y"]],
                     "accuracy": round(float((labels == np.asarray(s["y"])).mean()), 4)}
    return out
