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
