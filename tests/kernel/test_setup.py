"""The setup cell's helpers, on stand-ins for Keras (grader.kernel.setup_src)."""

from __future__ import annotations

import types

from grader.kernel import setup_src


def _keras(plot_model):
    keras = types.SimpleNamespace(utils=types.SimpleNamespace(plot_model=plot_model))
    return keras


def test_plot_model_that_cannot_draw_leaves_a_note_not_a_failed_cell(capsys):
    def plot_model(model, to_file="model.png"):
        raise ImportError("You must install pydot and graphviz for `plot_model` to work.")

    keras, state = _keras(plot_model), types.ModuleType("state")
    state.cell = "k1"
    setup_src.safe_drawing(keras, state)
    assert keras.utils.plot_model(object(), to_file="m.png") is None
    (shim,) = state.shims
    assert shim["shim"] == "plot_model" and shim["cell"] == "k1"
    assert "pydot" in shim["modern"] and "[grader]" in capsys.readouterr().out
    setup_src.safe_drawing(keras, state)  # wrapped once
    assert keras.utils.plot_model._grader_wrapped


def test_plot_model_that_draws_is_left_as_it_is():
    keras, state = _keras(lambda model, **kw: "drawn"), types.ModuleType("state")
    state.cell = None
    setup_src.safe_drawing(keras, state)
    assert keras.utils.plot_model(object()) == "drawn"
    assert not getattr(state, "shims", [])


class _Callback:
    def __init__(self) -> None:
        self.model = None


def test_a_tensorboard_callback_without_tensorboard_is_inert_and_said(capsys):
    def tensorboard(*args, **kwargs):
        raise AssertionError("the real TensorBoard callback was made")

    keras = types.SimpleNamespace(callbacks=types.SimpleNamespace(
        Callback=_Callback, TensorBoard=tensorboard))
    state = types.ModuleType("state")
    state.cell = "k2"
    setup_src.inert_tensorboard(keras, state, installed=False)
    callback = keras.callbacks.TensorBoard(log_dir="tensorboard/cnn1/", histogram_freq=1)
    assert isinstance(callback, _Callback) and callback.log_dir == "tensorboard/cnn1/"
    (shim,) = state.shims
    assert shim["shim"] == "tensorboard" and shim["cell"] == "k2"
    assert "logs nothing here" in capsys.readouterr().out


def test_a_tensorboard_callback_is_left_as_it_is_where_tensorboard_is_installed():
    keras = types.SimpleNamespace(callbacks=types.SimpleNamespace(
        Callback=_Callback, TensorBoard="the real one"))
    setup_src.inert_tensorboard(keras, types.ModuleType("state"), installed=True)
    assert keras.callbacks.TensorBoard == "the real one"


def test_fit_trains_on_the_profiles_subset_and_records_what_it_was_given():
    import numpy as np

    x, y, w = np.zeros((60000, 28, 28)), np.arange(60000), np.ones(60000)
    args, given = setup_src.limit_samples((x, y), {"sample_weight": w, "epochs": 3}, 6000)
    assert given == 60000 and args[0].shape == (6000, 28, 28) and len(args[1]) == 6000
    kwargs = {"x": x, "y": y, "validation_data": (x[:10], y[:10])}
    _, given = setup_src.limit_samples((), kwargs, 6000)
    assert given == 60000 and len(kwargs["x"]) == 6000 and len(kwargs["validation_data"][0]) == 10
    multi = {"image": x, "extra": np.zeros((60000, 3))}
    args, _ = setup_src.limit_samples((multi, y), {}, 100)
    assert args[0]["extra"].shape == (100, 3) and args[1].shape == (100,)


def test_small_sets_generators_and_no_limit_are_left_as_they_are():
    import numpy as np

    x = np.zeros((2400, 784))
    assert setup_src.limit_samples((x, x), {}, 6000) == ((x, x), None)
    gen = (i for i in range(3))
    assert setup_src.limit_samples((gen,), {}, 6000) == ((gen,), None)
    assert setup_src.limit_samples((np.zeros((60000, 1)),), {}, 0)[1] is None


def test_colab_calls_are_skipped_with_a_note_where_colab_is_not(capsys, monkeypatch):
    import sys

    for name in [n for n in sys.modules if n == "google.colab" or n.startswith("google.colab.")]:
        monkeypatch.delitem(sys.modules, name)
    setup_src.colab_stand_in()
    from google.colab import drive, files

    drive.mount("/content/drive")
    assert files.upload() == {}
    said = capsys.readouterr().out
    assert "ran on Colab, skipped here: drive.mount" in said and "files.upload" in said
    for name in [n for n in sys.modules if n == "google.colab" or n.startswith("google.colab.")]:
        monkeypatch.delitem(sys.modules, name)


def test_a_sweeps_runs_are_cut_shorter_than_single_fits():
    """A cell's third and later fits are a loop's: the profile's loop cap applies to them."""
    cap = setup_src.epoch_cap
    assert [cap(15, 3, n) for n in range(5)] == [15, 15, 3, 3, 3]
    assert cap(15, 0, 9) == 15  # no loop cap: every fit as the others
    assert cap(0, 3, 2) == 3 and cap(0, 3, 1) == 0  # a loop cap alone
    assert cap(2, 3, 5) == 2  # never longer than the cap of every fit


def test_the_cap_counts_fits_per_cell():
    calls = []

    class Model:
        def fit(self, *args, **kwargs):
            calls.append(kwargs.get("epochs"))
            return "history"

    keras = types.SimpleNamespace(Model=Model)
    state = types.SimpleNamespace(fits=[], cell="loop")
    setup_src.record_fits(keras, state, max_epochs=15, loop_epochs=3)
    for _ in range(4):
        keras.Model().fit(None, epochs=40)
    state.cell = "next"
    keras.Model().fit(None, epochs=40)
    assert calls == [15, 15, 3, 3, 15]
    assert [f["epochs_requested"] for f in state.fits] == [40] * 5  # what was asked counts
