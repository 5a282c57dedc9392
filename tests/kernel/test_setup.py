"""The setup cell's helpers, on stand-ins for Keras (grader.kernel.setup_src)."""

from __future__ import annotations

import types

from grader.kernel import budget_src, setup_src


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


def test_the_cap_counts_fits_per_cell():
    calls = []

    class Model:
        def fit(self, *args, **kwargs):
            calls.append(kwargs.get("epochs"))
            return "history"

    keras = types.SimpleNamespace(Model=Model)
    state = types.SimpleNamespace(fits=[], cell="loop",
                                  budget=budget_src.budget(max_epochs=15, loop_epochs=3))
    setup_src.record_fits(keras, state)
    for _ in range(4):
        keras.Model().fit(None, epochs=40)
    state.cell = "next"
    keras.Model().fit(None, epochs=40)
    assert calls == [15, 15, 3, 3, 15]
    assert [f["epochs_requested"] for f in state.fits] == [40] * 5  # what was asked counts
