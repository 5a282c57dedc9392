"""Grader-side evaluation: its own process, safe mode, scaling chosen on training images."""

from __future__ import annotations

import numpy as np
import pytest

from grader.data import load_mnist
from grader.evaluate import (
    DataSource,
    Evaluator,
    graph_call,
    measure,
    predictor,
    scaling_stats,
)
from grader.spec import Dataset


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


def test_warming_up_reads_the_data_and_leaves_an_unreadable_file_to_the_first_model(
        tmp_path, tiny_mnist):
    from grader import evaluate

    dataset = Dataset("mnist", 784, 10)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    evaluate._init_worker({"mnist": DataSource(dataset, tiny_mnist),
                           "broken": DataSource(dataset, broken)}, {})
    try:
        evaluate._warm()  # does not raise for the broken file
        assert set(evaluate._WORKER["data"]) == {"mnist"}
        assert set(evaluate._WORKER["stats"]["mnist"]) == {"mean", "std", "pmean", "pstd"}
        with pytest.raises(Exception, match="broken|zip|pickle|load"):
            evaluate._data("broken")
    finally:
        evaluate._WORKER.clear()


def test_wrong_input_shape_is_explained(tiny_mnist):
    with pytest.raises(ValueError, match="does not take 28×28 images"):
        measure(lambda x: x, (None, 32), load_mnist(tiny_mnist))


def test_predictor_runs_one_graph_for_every_batch_size_with_the_eager_results(monkeypatch):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3),
                              keras.layers.Dropout(0.5), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    made, sizes = [], []

    def spy(m):
        made.append(graph_call(m))  # the real one, imported before the patch

        def call(x):
            sizes.append(len(x))
            return made[0](x)
        call.input_signature = made[0].input_signature
        return call

    monkeypatch.setattr("grader.evaluate.graph_call", spy)
    x = np.random.default_rng(0).random((2500, 28, 28, 1))  # float64: cast to float32
    out = predictor(model)(x)
    assert sizes == [1000, 1000, 500]
    assert made[0].experimental_get_tracing_count() == 1
    eager = model(x.astype("float32"), training=False).numpy()  # dropout off, as here
    np.testing.assert_allclose(out, eager, rtol=1e-5, atol=1e-6)


def test_a_model_of_two_inputs_is_called_eagerly():
    import keras

    a, b = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])))
    assert graph_call(model) is None


@pytest.mark.kernel
def test_evaluator_loads_in_safe_mode_and_refuses_lambda(tmp_path, tiny_mnist):
    import keras

    good = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
    good.save(tmp_path / "good.keras")
    bad = keras.Sequential([keras.Input((784,)), keras.layers.Lambda(lambda x: x * 0),
                            keras.layers.Dense(10)])
    bad.save(tmp_path / "lambda.keras")
    (tmp_path / "garbage.keras").write_text("not a zip")
    mnist = DataSource(Dataset("mnist", 784, 10), tiny_mnist)
    with Evaluator({"mnist": mnist}) as ev:
        out = ev.evaluate([(tmp_path / name, "mnist") for name in
                           ("good.keras", "lambda.keras", "garbage.keras")])
    good_r, bad_r, garbage_r = (out[str((tmp_path / n).resolve())] for n in
                                ("good.keras", "lambda.keras", "garbage.keras"))
    assert 0 <= good_r["accuracy"] <= 1 and len(good_r["confusion"]) == 10
    assert good_r["n_test"] == 100
    assert "refuses to run" in bad_r["error"]
    assert "could not load" in garbage_r["error"]
