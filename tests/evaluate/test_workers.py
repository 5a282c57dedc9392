"""Grader-side evaluation: its own process, safe mode, one graph per model."""

from __future__ import annotations

import numpy as np
import pytest

from grader.assignment.spec import Dataset
from grader.evaluate.data import DataSource
from grader.evaluate.workers import Evaluator, graph_call, predictor


def test_warming_up_reads_the_data_and_leaves_an_unreadable_file_to_the_first_model(
        tmp_path, tiny_mnist):
    from grader.evaluate import workers as evaluate

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

    monkeypatch.setattr("grader.evaluate.workers.graph_call", spy)
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
def test_evaluator_loads_in_safe_mode_and_refuses_lambda_and_prints_to_its_log(
        tmp_path, tiny_mnist, monkeypatch, capfd):
    import keras

    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # each import a line on stderr

    good = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
    good.save(tmp_path / "good.keras")
    bad = keras.Sequential([keras.Input((784,)), keras.layers.Lambda(lambda x: x * 0),
                            keras.layers.Dense(10)])
    bad.save(tmp_path / "lambda.keras")
    (tmp_path / "garbage.keras").write_text("not a zip")
    mnist = DataSource(Dataset("mnist", 784, 10), tiny_mnist)
    log = tmp_path / "logs" / "evaluate.log"
    with Evaluator({"mnist": mnist}, log=log) as ev:
        out = ev.evaluate([(tmp_path / name, "mnist") for name in
                           ("good.keras", "lambda.keras", "garbage.keras")])
    # the worker's imports before its set-up go to the terminal; Keras', after, to the log
    assert "| keras" in log.read_text()
    assert "| keras" not in capfd.readouterr().err
    good_r, bad_r, garbage_r = (out[str((tmp_path / n).resolve())] for n in
                                ("good.keras", "lambda.keras", "garbage.keras"))
    assert 0 <= good_r["accuracy"] <= 1 and len(good_r["confusion"]) == 10
    assert good_r["n_test"] == 100
    assert "refuses to run" in bad_r["error"]
    assert "could not load" in garbage_r["error"]
