"""Grader-side evaluation: the only scores that count are measured here.

Exported models are loaded in a separate, clean Python process (spawned, never
forked from anything that ran student code) with Keras safe mode on, and run on
the held-out MNIST test set. The input scaling a model expects ([0, 1], raw 0-255
or standardised) is chosen on training images, never on the test set: [0, 1] as
the course teaches, unless the model is clearly more accurate with another.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import numpy as np

from grader.data import load_mnist

SCALINGS = ("unit", "raw", "standard")  # the first is the course's convention
SWITCH_MARGIN = 0.02
_WORKER: dict[str, Any] = {}


def scale(x: np.ndarray, how: str, stats: tuple[float, float]) -> np.ndarray:
    """Scale uint8 images as a student's preprocessing would."""
    x = x.astype("float32")
    if how == "unit":
        return x / 255.0
    if how == "standard":
        mean, std = stats
        return (x / 255.0 - mean) / std
    return x


def _fit_shape(x: np.ndarray, shape: Sequence[int | None]) -> np.ndarray:
    dims = [d for d in shape[1:]]
    if any(d is None for d in dims) or int(np.prod(dims)) != 28 * 28:
        raise ValueError(f"its input shape {tuple(shape)} does not take 28×28 images")
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
            n_classes: int = 10, choose_on: int = 1000) -> dict[str, Any]:
    """Accuracy, loss and confusion matrix of ``predict`` on the test set.

    Args:
        predict: Maps a batch of inputs to class scores (probabilities or logits).
        input_shape: The model's input shape, batch dimension first.
        data: MNIST arrays in Keras layout.
        n_classes: Number of classes.
        choose_on: Training images used to choose the input scaling: [0, 1] unless
            another scaling is clearly (``SWITCH_MARGIN``) more accurate on them.
    """
    x_tr, y_tr = data["x_train"][:choose_on], data["y_train"][:choose_on].astype(int)
    stats = (float(data["x_train"].mean() / 255.0), float(data["x_train"].std() / 255.0))
    tried = {}
    for how in SCALINGS:
        out = np.asarray(predict(_fit_shape(scale(x_tr, how, stats), input_shape)))
        tried[how] = float((out.argmax(axis=1) == y_tr).mean())
    best = SCALINGS[0]
    for how in SCALINGS[1:]:
        if tried[how] > tried[best] + SWITCH_MARGIN:
            best = how
    out = np.asarray(predict(_fit_shape(scale(data["x_test"], best, stats), input_shape)))
    if out.ndim != 2 or out.shape[1] != n_classes:
        raise ValueError(f"it outputs shape {out.shape[1:]}, not {n_classes} class scores")
    y = data["y_test"].astype(int)
    pred = out.argmax(axis=1)
    probs = _probabilities(out)
    loss = _cross_entropy(probs, y)
    confusion = np.bincount(y * n_classes + pred, minlength=n_classes**2).reshape(
        n_classes, n_classes)
    return {"accuracy": round(float((pred == y).mean()), 6), "loss": round(loss, 6),
            "confusion": confusion.tolist(), "scaling": best,
            "scaling_train_accuracy": tried, "n_test": int(len(y))}


def _init_worker(mnist_path: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _WORKER["data"] = load_mnist(Path(mnist_path))


def evaluate_file(path: str, n_classes: int = 10) -> dict[str, Any]:
    """Load one ``.keras`` file in safe mode and measure it (runs in the worker)."""
    import keras

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - every refusal becomes a recorded reason
        text = str(exc).split("\n")[0][:300]
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            text = ("the model contains code (a Lambda layer or custom object) that the grader "
                    "refuses to run; use built-in Keras layers")
        return {"error": f"could not load the exported model: {text}"}
    try:
        shape = tuple(model.inputs[0].shape)
        return measure(lambda x: np.asarray(model.predict(x, batch_size=1000, verbose=0)),
                       shape, _WORKER["data"], n_classes)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"could not run the model on test images: {exc}"[:400]}


def _evaluate_many(paths: list[str], n_classes: int) -> dict[str, dict[str, Any]]:
    return {p: evaluate_file(p, n_classes) for p in paths}


class Evaluator:
    """A clean worker process, started once and reused for every submission of a batch."""

    def __init__(self, mnist_path: Path, timeout: float = 600) -> None:
        self.mnist_path = Path(mnist_path)
        self.timeout = timeout
        self._pool: Pool | None = None

    def _get_pool(self) -> Pool:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ctx.Pool(1, initializer=_init_worker, initargs=(str(self.mnist_path),))
        return self._pool

    def evaluate(self, files: Sequence[Path], n_classes: int = 10) -> dict[str, dict[str, Any]]:
        """Measure each exported model; a failure is recorded per model, never raised."""
        paths = [str(Path(f).resolve()) for f in files]
        if not paths:
            return {}
        try:
            job = self._get_pool().apply_async(_evaluate_many, (paths, n_classes))
            return job.get(self.timeout)
        except multiprocessing.TimeoutError:
            self.close()
            why = f"evaluation took longer than {self.timeout:.0f} s"
        except Exception as exc:  # noqa: BLE001 - a crashed worker is restarted next time
            self.close()
            why = f"evaluation worker failed: {type(exc).__name__}: {exc}"
        return {p: {"error": why} for p in paths}

    def close(self) -> None:
        """Stop the worker."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
