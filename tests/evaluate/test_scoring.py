"""Scores on held-out data: scaling chosen on training images, confusions, loss."""

from __future__ import annotations

import numpy as np
import pytest

from grader.evaluate.data import load_mnist
from grader.evaluate.scoring import measure, scaling_stats


def labelled_images(n, rng):
    """Images whose first pixel encodes their label (label * 20)."""
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 10, (n, 28, 28)).astype(np.uint8)
    x[:, 0, 0] = y * 20
    return x, y


def test_measure_picks_scaling_on_training_data_and_counts_confusions():
    rng = np.random.default_rng(1)
    (xtr, ytr), (xte, yte) = labelled_images(300, rng), labelled_images(100, rng)
    yte[:10] = (yte[:10] + 1) % 10  # ten test labels the "model" will get wrong
    data = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}

    def predict(x):
        """Right only when fed [0, 1] inputs; outputs logits, not probabilities."""
        label = np.clip(np.rint(x.reshape(len(x), -1)[:, 0] * 255 / 20), 0, 9).astype(int)
        out = np.zeros((len(x), 10))
        out[np.arange(len(x)), label] = 8.0
        return out

    result = measure(predict, (None, 784), data, choose_on=300)
    assert result["scaling"] == "unit"
    assert result["accuracy"] == pytest.approx(0.9)
    assert np.trace(result["confusion"]) == 90 and np.sum(result["confusion"]) == 100
    assert result["scaling_train_accuracy"]["unit"] == 1.0
    assert result["scaling_train_accuracy"]["raw"] < 0.5


@pytest.mark.parametrize("standardise_on", [0, 700])
def test_scaling_stats_summed_in_chunks_match_float64_and_leave_constant_pixels_at_one(
        standardise_on):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (10_000, 28, 28)).astype(np.uint8)
    x[:, 0, 0] = 0  # a border pixel that never lights up
    x[:, 0, 1] = 255  # and one always on
    x[:5000, 5, 5] = 254  # near its maximum: the variance is the small difference
    stats = scaling_stats({"x_train": x}, standardise_on)
    pixels = (x[:standardise_on] if standardise_on else x).astype("float64")
    assert stats["mean"] == pytest.approx(x.astype("float64").mean() / 255, rel=1e-12)
    assert stats["std"] == pytest.approx(x.astype("float64").std() / 255, rel=1e-12)
    np.testing.assert_allclose(stats["pmean"], pixels.mean(axis=0), rtol=1e-12)
    want = pixels.std(axis=0)
    want[want == 0] = 1.0
    np.testing.assert_allclose(stats["pstd"], want, rtol=1e-9)
    assert stats["pstd"][0, 0] == 1.0 and stats["pstd"][0, 1] == 1.0


def test_scaling_stats_of_float_features_are_read_as_float64():
    x = np.array([[0.5, 1.0], [1.5, 1.0]], dtype=np.float32)
    stats = scaling_stats({"x_train": x}, 0)
    np.testing.assert_allclose(stats["pmean"], [1.0, 1.0])
    np.testing.assert_allclose(stats["pstd"], [0.5, 1.0])  # the constant column left at 1
    assert stats["mean"] * 255 == pytest.approx(1.0)


def test_wrong_input_shape_is_explained(tiny_mnist):
    with pytest.raises(ValueError, match="does not take 28×28 images"):
        measure(lambda x: x, (None, 32), load_mnist(tiny_mnist))


def test_a_model_taking_32_by_32_images_is_measured_on_padded_digits():
    import numpy as np

    from grader.evaluate.scoring import PADDED, fit_shape, input_step

    x = np.arange(2 * 784, dtype=float).reshape(2, 784)
    padded = fit_shape(x, (None, 32, 32, 1))
    assert padded.shape == (2, 32, 32, 1) and padded[:, :2].sum() == 0
    assert np.array_equal(padded[0, 2:30, 2:30, 0], x[0].reshape(28, 28))
    assert fit_shape(x, (None, 1, 32, 32)).shape == (2, 1, 32, 32)
    assert input_step(784, (None, 32, 32, 1)) == PADDED
    assert input_step(784, (None, 28, 28, 1)) is None
