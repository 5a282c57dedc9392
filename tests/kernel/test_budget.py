"""The training budget's helpers, on stand-ins for Keras and datasets (grader.kernel.budget_src)."""

from __future__ import annotations

import types

from grader.kernel import budget_src


def test_fit_trains_on_the_profiles_subset_and_records_what_it_was_given():
    import numpy as np

    x, y, w = np.zeros((60000, 28, 28)), np.arange(60000), np.ones(60000)
    args, given = budget_src.limit_samples((x, y), {"sample_weight": w, "epochs": 3}, 6000)
    assert given == 60000 and args[0].shape == (6000, 28, 28) and len(args[1]) == 6000
    kwargs = {"x": x, "y": y, "validation_data": (x[:10], y[:10])}
    _, given = budget_src.limit_samples((), kwargs, 6000)
    assert given == 60000 and len(kwargs["x"]) == 6000 and len(kwargs["validation_data"][0]) == 10
    multi = {"image": x, "extra": np.zeros((60000, 3))}
    args, _ = budget_src.limit_samples((multi, y), {}, 100)
    assert args[0]["extra"].shape == (100, 3) and args[1].shape == (100,)


def test_small_sets_generators_and_no_limit_are_left_as_they_are():
    import numpy as np

    x = np.zeros((2400, 784))
    assert budget_src.limit_samples((x, x), {}, 6000) == ((x, x), None)
    gen = (i for i in range(3))
    assert budget_src.limit_samples((gen,), {}, 6000) == ((gen,), None)
    assert budget_src.limit_samples((np.zeros((60000, 1)),), {}, 0)[1] is None


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
    args, given = budget_src.limit_batches(keras, (flow,), {"epochs": 3}, 6000)
    cut = args[0]
    assert given == 1875 * 32 and len(cut) == 188  # 6,000 samples: 188 batches of 32
    assert cut[187][0][0, 0] == 187 and cut.data is flow
    cut.on_epoch_end()
    assert flow.epochs_ended == 1  # the generator still shuffles between epochs
    kwargs = {"x": _Batches(60000, 100, named=False), "steps_per_epoch": 600}
    _, given = budget_src.limit_batches(keras, (), kwargs, 6000)  # its size read off a batch
    assert len(kwargs["x"]) == 60 and kwargs["steps_per_epoch"] == 60 and given == 60000
    args, given = budget_src.limit_batches(keras, (_Dataset(469, 128),), {}, 6000)
    assert args[0].batches == 47 and given == 469 * 128
    forever = {"x": _Dataset(-1, 128), "steps_per_epoch": 469}  # .repeat(): steps say it
    _, given = budget_src.limit_batches(keras, (), forever, 6000)
    assert forever["steps_per_epoch"] == 47 and forever["x"].batches == -1


def test_small_or_uncountable_datasets_and_arrays_are_left_to_the_other_limits():
    import numpy as np

    keras = types.SimpleNamespace(utils=types.SimpleNamespace(PyDataset=object))
    small = _Batches(2400, 32)
    assert budget_src.limit_batches(keras, (small,), {}, 6000) == ((small,), None)
    unknown = _Dataset(-2, 128)  # filtered: no length, no steps given
    assert budget_src.limit_batches(keras, (unknown,), {}, 6000) == ((unknown,), None)
    gen = (i for i in range(3))
    assert budget_src.limit_batches(keras, (gen,), {}, 6000) == ((gen,), None)
    x = np.zeros((60000, 2))
    assert budget_src.limit_batches(keras, (x,), {}, 6000) == ((x,), None)  # limit_samples'

    class Odd(_Batches):
        def __len__(self):
            raise TypeError("endless")

    odd = Odd(60000, 32, named=False)
    assert budget_src.limit_batches(keras, (odd,), {}, 6000) == ((odd,), None)  # uncut, no error
    assert budget_src.limit_batches(keras, (small,), {}, 0) == ((small,), None)


def test_a_sweeps_runs_are_cut_shorter_than_single_fits():
    """A cell's third and later fits are a loop's: the profile's loop cap applies to them."""
    cap = budget_src.epoch_cap
    assert [cap(15, 3, n) for n in range(5)] == [15, 15, 3, 3, 3]
    assert cap(15, 0, 9) == 15  # no loop cap: every fit as the others
    assert cap(0, 3, 2) == 3 and cap(0, 3, 1) == 0  # a loop cap alone
    assert cap(2, 3, 5) == 2  # never longer than the cap of every fit


def test_epochs_are_capped_by_keyword_or_position_and_the_request_kept():
    kwargs = {"epochs": 40, "batch_size": 32}
    args, asked = budget_src.cap_epochs(("x", "y"), kwargs, 3)
    assert kwargs["epochs"] == 3 and asked == 40 and args == ("x", "y")
    args, asked = budget_src.cap_epochs(("x", "y", 32, 40), {}, 3)
    assert args == ("x", "y", 32, 3) and asked == 40
    kwargs = {"epochs": 12, "initial_epoch": 10}
    cap = budget_src.cap_epochs
    assert cap((), kwargs, 3)[1] is None and kwargs["epochs"] == 12  # 2 epochs: fine
    kwargs = {"epochs": 2}
    assert budget_src.cap_epochs((), kwargs, 3) == ((), None) and kwargs == {"epochs": 2}
    assert budget_src.cap_epochs((), {"epochs": 40}, 0) == ((), None)  # no cap
