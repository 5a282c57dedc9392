"""Salt-and-pepper noise and denoising curves (pure NumPy, no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.evaluate.denoise import (
    as_unit_images,
    denoising_curves,
    noisy_sets,
    salt_and_pepper,
    summarize_replicates,
)


def test_salt_and_pepper_keeps_one_minus_level_and_splits_the_rest_evenly():
    x = np.full((200, 28, 28), 0.5, dtype="float32")
    noisy = salt_and_pepper(x, 0.3, np.random.default_rng(0))
    kept, black, white = (noisy == 0.5).mean(), (noisy == 0).mean(), (noisy == 1).mean()
    assert kept == pytest.approx(0.7, abs=0.01)
    assert black == pytest.approx(0.15, abs=0.01) and white == pytest.approx(0.15, abs=0.01)
    assert x.min() == 0.5  # the input is not modified
    assert (salt_and_pepper(x, 0.0, np.random.default_rng(0)) == x).all()
    assert set(np.unique(salt_and_pepper(x, 1.0, np.random.default_rng(0)))) == {0.0, 1.0}
    with pytest.raises(ValueError, match="outside"):
        salt_and_pepper(x, 1.5, np.random.default_rng(0))


def test_every_model_sees_the_same_noise():
    x = np.random.default_rng(1).random((10, 28, 28)).astype("float32")
    a, b = noisy_sets(x, [0.2, 0.5], seed=7), noisy_sets(x, [0.2, 0.5], seed=7)
    assert all((p == q).all() for p, q in zip(a, b, strict=True))
    assert not (noisy_sets(x, [0.5], seed=8)[0] == b[1]).all()


def test_curves_of_a_perfect_denoiser_stay_flat_and_noisy_ones_fall():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 10, 300)
    x = np.zeros((300, 28, 28), dtype="float32")
    for i, label in enumerate(y):
        x[i, label, :] = 1.0  # the digit is the row that is lit

    def classify(images):
        return images.mean(axis=2).argmax(axis=1)

    def denoise(images):
        return x.copy()  # an oracle that restores every image

    curves = denoising_curves(classify, denoise, x, y, [0.0, 0.5, 1.0], seed=3)
    assert curves["denoised"] == [1.0, 1.0, 1.0]
    assert curves["noisy"][0] == 1.0 and curves["noisy"][2] < 0.3
    assert curves["n_images"] == 300 and curves["levels"] == [0.0, 0.5, 1.0]
    assert denoising_curves(classify, None, x, y, [0.0], seed=3)["denoised"] is None


def test_autoencoder_output_on_a_0_255_scale_is_brought_back():
    out = np.full((2, 784), 255.0)
    assert as_unit_images(out, 2).max() == 1.0 and as_unit_images(out, 2).shape == (2, 28, 28)
    assert as_unit_images(np.full((1, 784), 0.25), 1).max() == 0.25


def test_replicates_give_mean_and_spread_per_level():
    runs = [{"levels": [0, 1], "n_images": 5, "noisy": [0.9, 0.1], "denoised": [0.8, 0.2]},
            {"levels": [0, 1], "n_images": 5, "noisy": [0.7, 0.1], "denoised": [0.8, 0.4]}]
    s = summarize_replicates(runs)
    assert s["replicates"] == 2 and s["noisy"]["mean"] == [0.8, 0.1]
    assert s["noisy"]["std"][0] == pytest.approx(0.1414, abs=1e-4) and s["noisy"]["std"][1] == 0
    assert s["denoised"]["runs"] == [[0.8, 0.2], [0.8, 0.4]]
