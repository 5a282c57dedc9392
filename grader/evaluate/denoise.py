"""Denoising curves: a classifier's accuracy on noisy and on denoised test images.

The noise is DAT405's salt and pepper: each pixel is kept with probability
``1 - level``; a pixel that is not kept becomes black or white with equal odds.
Every submission and every reference replicate sees the same noisy images (one
seeded generator per noise level), so curves differ only by the models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Classify = Callable[[np.ndarray], np.ndarray]
Denoise = Callable[[np.ndarray], np.ndarray]


def salt_and_pepper(x: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Images in [0, 1] with a fraction ``level`` of pixels set to 0 or 1 at random."""
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"noise level {level} is outside [0, 1]")
    drop = rng.random(x.shape) < level
    salt = rng.random(x.shape) < 0.5
    out = x.astype("float32", copy=True)
    out[drop] = salt[drop].astype("float32")
    return out


def noisy_sets(x_unit: np.ndarray, levels: Sequence[float], seed: int) -> list[np.ndarray]:
    """The test images at each noise level; level ``i`` uses generator ``(seed, i)``."""
    return [salt_and_pepper(x_unit, float(level), np.random.default_rng([seed, i]))
            for i, level in enumerate(levels)]


def as_unit_images(out: np.ndarray, n: int) -> np.ndarray:
    """An autoencoder's output as (n, 28, 28) images in [0, 1].

    Outputs on a 0-255 scale (a model trained on raw pixels) are brought back to [0, 1].
    """
    images = np.asarray(out, dtype="float32").reshape(n, 28, 28)
    if float(images.max(initial=0.0)) > 1.5:
        images = images / 255.0
    return np.clip(images, 0.0, 1.0)


def denoising_curves(classify: Classify, denoise: Denoise | None, x_unit: np.ndarray,
                     y: np.ndarray, levels: Sequence[float], seed: int) -> dict[str, Any]:
    """Accuracy of ``classify`` at each noise level, on noisy and on denoised images.

    Args:
        classify: Maps (n, 28, 28) images in [0, 1] to predicted labels.
        denoise: Maps (n, 28, 28) images in [0, 1] to denoised images in [0, 1];
            None measures the noisy curve only.
        x_unit: Clean test images in [0, 1], shape (n, 28, 28).
        y: Their labels.
        levels: Noise levels in [0, 1].
        seed: Seed of the noise (the same for every model graded).
    """
    y = np.asarray(y).astype(int)
    noisy, denoised = [], []
    for images in noisy_sets(x_unit, levels, seed):
        noisy.append(round(float((classify(images) == y).mean()), 4))
        if denoise is not None:
            denoised.append(round(float((classify(denoise(images)) == y).mean()), 4))
    return {"levels": [round(float(v), 4) for v in levels], "noisy": noisy,
            "denoised": denoised if denoise is not None else None, "n_images": int(len(y))}


def summarize_replicates(curves: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation per level over replicate curves (``noisy``, ``denoised``)."""
    out: dict[str, Any] = {"levels": curves[0]["levels"], "replicates": len(curves),
                           "n_images": curves[0]["n_images"]}
    for key in ("noisy", "denoised"):
        values = np.array([c[key] for c in curves], dtype=float)
        out[key] = {"mean": np.round(values.mean(axis=0), 4).tolist(),
                    "std": np.round(values.std(axis=0, ddof=1 if len(curves) > 1 else 0),
                                    4).tolist(),
                    "runs": values.round(4).tolist()}
    return out
