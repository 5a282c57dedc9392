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


class _Batches:
    """A Keras ``PyDataset`` as ``fit`` sees one: batches by index, then a new epoch."""

    def __init__(self, n, batch_size, named=True):
        self.n, self.size, self.epochs_ended = n, batch_size, 0
        if named:
            self.batch_size = batch_size  # as an ImageDataGenerator's flow says it

    def __len__(self):
        return -(-self.n // self.size)

    def __getitem__(self, i):
        import numpy as np

        return np.full((min(self.size, self.n - i * self.size), 2), i), np.zeros(self.size)

    def on_epoch_end(self):
        self.epochs_ended += 1


class _Dataset:
    """A ``tf.data`` dataset as ``fit`` sees one: its length in batches, ``take``."""

    def __init__(self, batches, size):
        self.batches, self.size = batches, size

    def cardinality(self):
        return self.batches

    def take(self, n):
        import numpy as np

        return [(np.zeros((self.size, 2)), np.zeros(self.size))] * n if n == 1 else (
            _Dataset(min(n, self.batches) if self.batches >= 0 else n, self.size))


def test_a_datasets_epochs_are_cut_to_its_first_batches_of_the_profiles_subset():
    keras = types.SimpleNamespace(utils=types.SimpleNamespace(PyDataset=object))
    flow = _Batches(60000, 32)
    args, given = setup_src.limit_batches(keras, (flow,), {"epochs": 3}, 6000)
    cut = args[0]
    assert given == 1875 * 32 and len(cut) == 188  # 6,000 samples: 188 batches of 32
    assert cut[187][0][0, 0] == 187 and cut.data is flow
    cut.on_epoch_end()
    assert flow.epochs_ended == 1  # the generator still shuffles between epochs
    kwargs = {"x": _Batches(60000, 100, named=False), "steps_per_epoch": 600}
    _, given = setup_src.limit_batches(keras, (), kwargs, 6000)  # its size read off a batch
    assert len(kwargs["x"]) == 60 and kwargs["steps_per_epoch"] == 60 and given == 60000
    args, given = setup_src.limit_batches(keras, (_Dataset(469, 128),), {}, 6000)
    assert args[0].batches == 47 and given == 469 * 128
    forever = {"x": _Dataset(-1, 128), "steps_per_epoch": 469}  # .repeat(): steps say it
    _, given = setup_src.limit_batches(keras, (), forever, 6000)
    assert forever["steps_per_epoch"] == 47 and forever["x"].batches == -1


def test_small_or_uncountable_datasets_and_arrays_are_left_to_the_other_limits():
    import numpy as np

    keras = types.SimpleNamespace(utils=types.SimpleNamespace(PyDataset=object))
    small = _Batches(2400, 32)
    assert setup_src.limit_batches(keras, (small,), {}, 6000) == ((small,), None)
    unknown = _Dataset(-2, 128)  # filtered: no length, no steps given
    assert setup_src.limit_batches(keras, (unknown,), {}, 6000) == ((unknown,), None)
    gen = (i for i in range(3))
    assert setup_src.limit_batches(keras, (gen,), {}, 6000) == ((gen,), None)
    x = np.zeros((60000, 2))
    assert setup_src.limit_batches(keras, (x,), {}, 6000) == ((x,), None)  # limit_samples'
    assert setup_src.limit_batches(keras, (small,), {}, 0) == ((small,), None)


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
