"""Runs in the student's kernel after the setup cell: the profile's training budget.

Where training happens, in the ``fit`` the setup cell wraps: every call trains at most
``max_epochs`` epochs, a cell's third and later calls (a sweep's runs) at most
``loop_epochs``, on at most ``train_limit`` samples (the first ones; a dataset's first
batches). ``load_data()`` is left whole, so a student's asserts, reshapes and slices
behave as on their own machine. Only injected when the profile sets a limit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

KERNEL_STATE = "_grader_kernel"
Budget = Callable[[Any, tuple, dict[str, Any], int], tuple[tuple, Any, Any]]


EPOCHS_ARG = 3  # fit(x, y, batch_size, epochs, ...)


def cap_epochs(args: tuple, kwargs: dict[str, Any], max_epochs: int) -> tuple[tuple, int | None]:
    """Limit a ``fit`` call to ``max_epochs`` epochs; return the new args and what was asked.

    ``kwargs`` is changed in place; the epochs asked for are returned only when cut.
    """
    if max_epochs <= 0:
        return args, None
    positional = "epochs" not in kwargs and len(args) > EPOCHS_ARG
    asked = args[EPOCHS_ARG] if positional else kwargs.get("epochs", 1)
    limit = int(kwargs.get("initial_epoch", 0) or 0) + max_epochs
    if not isinstance(asked, int) or isinstance(asked, bool) or asked <= limit:
        return args, None
    if positional:
        args = (*args[:EPOCHS_ARG], limit, *args[EPOCHS_ARG + 1:])
    else:
        kwargs["epochs"] = limit
    return args, asked


def _rows(value: Any) -> int | None:
    """How many samples an array (or a list, tuple or dict of arrays) holds; None if unknown."""
    if isinstance(value, dict):
        counts = {_rows(v) for v in value.values()}
        return counts.pop() if len(counts) == 1 else None
    if isinstance(value, list | tuple):
        counts = {_rows(v) for v in value}
        return counts.pop() if len(counts) == 1 and value else None
    shape = getattr(value, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) >= 1 else None


def _first(value: Any, n: int, rows: int) -> Any:
    """The first ``n`` samples of ``value`` if it holds ``rows`` of them, else ``value``."""
    if isinstance(value, dict):
        return {k: _first(v, n, rows) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_first(v, n, rows) for v in value)
    return value[:n] if _rows(value) == rows else value


def limit_samples(args: tuple, kwargs: dict[str, Any], train_limit: int,
                  ) -> tuple[tuple, int | None]:
    """Train on the first ``train_limit`` samples when ``fit`` is given more.

    The profile's training subset, applied where training happens: ``load_data()``
    keeps its real shapes, so a student's asserts, reshapes and slices behave as on
    their own machine. ``x``, ``y`` and ``sample_weight`` are cut alike; datasets are
    :func:`limit_batches`'. ``kwargs`` is changed in place; returns the new args and
    the samples given, when cut.
    """
    if train_limit <= 0:
        return args, None
    x = args[0] if args else kwargs.get("x")
    rows = _rows(x)
    if rows is None or rows <= train_limit:
        return args, None
    args = tuple(_first(a, train_limit, rows) if i < 2 else a for i, a in enumerate(args))
    for key in ("x", "y", "sample_weight"):
        if key in kwargs:
            kwargs[key] = _first(kwargs[key], train_limit, rows)
    return args, rows


def _batch_rows(batch: Any) -> int | None:
    """Samples in one batch a dataset yields: ``x``, ``(x, y)`` or ``(x, y, weights)``."""
    return _rows(batch[0] if isinstance(batch, tuple | list) and batch else batch)


def _fewer_batches(keras: Any, data: Any, keep: int) -> Any:
    """A Keras ``PyDataset`` (``Sequence`` in Keras 2) of ``data``'s first ``keep`` batches."""
    base = getattr(keras.utils, "PyDataset", None) or keras.utils.Sequence

    class FirstBatches(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.data = data

        def __len__(self) -> int:
            return keep

        def __getitem__(self, index: int) -> Any:
            return self.data[index]

        def on_epoch_end(self) -> None:  # an ImageDataGenerator shuffles again here
            getattr(self.data, "on_epoch_end", lambda: None)()

    return FirstBatches()


def _dataset_size(x: Any) -> tuple[int, int | None]:
    """Batches per epoch (negative: unknown or endless) and samples per batch, if known."""
    if hasattr(x, "__getitem__") and hasattr(x, "__len__"):  # PyDataset, Sequence
        batches = len(x)
        size = getattr(x, "batch_size", None)
        if isinstance(size, int) and size > 0:
            return batches, size
        return batches, _batch_rows(x[0]) if batches else None
    if hasattr(x, "take") and hasattr(x, "cardinality"):  # tf.data
        return int(x.cardinality()), _batch_rows(next(iter(x.take(1)), None))
    return 0, None


def limit_batches(keras: Any, args: tuple, kwargs: dict[str, Any], train_limit: int,
                  ) -> tuple[tuple, int | None]:
    """Train on a dataset's first batches, about ``train_limit`` samples, per epoch.

    For what ``fit`` gets instead of arrays: a ``PyDataset`` or ``Sequence`` (an
    ``ImageDataGenerator``'s ``flow``, which shuffles each epoch) is cut to its first
    batches, a ``tf.data`` dataset of known length is ``take``-n, and a
    ``steps_per_epoch`` above that is lowered. Python generators are left as they are
    (their batches cannot be counted without using them up). ``kwargs`` is changed in
    place; returns the new args and about how many samples an epoch had, when cut.
    """
    if train_limit <= 0:
        return args, None
    positional = bool(args)
    x = args[0] if positional else kwargs.get("x")
    if x is None or isinstance(x, list | tuple | dict) or _rows(x) is not None:
        return args, None
    steps = kwargs.get("steps_per_epoch")
    try:  # the student's own data class may count or index as it likes: then uncut
        batches, rows = _dataset_size(x)
    except Exception:  # noqa: BLE001 - the budget never takes a student's fit down
        return args, None
    if not rows:
        return args, None
    keep = -(-train_limit // rows)
    known = batches if batches > 0 else (steps if isinstance(steps, int) else None)
    if known is None or known <= keep:
        return args, None
    if batches > keep:
        try:
            x = _fewer_batches(keras, x, keep) if hasattr(x, "__getitem__") else x.take(keep)
        except Exception:  # noqa: BLE001 - as above: uncut rather than failed
            return args, None
        args = (x, *args[1:]) if positional else args
        if not positional:
            kwargs["x"] = x
    if isinstance(steps, int) and steps > keep:
        kwargs["steps_per_epoch"] = keep
    return args, known * rows


LOOP_AFTER = 2  # a cell's fits after the first two are a loop's (a sweep, replicates)


def epoch_cap(max_epochs: int, loop_epochs: int, earlier_in_cell: int) -> int:
    """The epochs a ``fit`` call may train (0: no cap).

    ``max_epochs`` caps every call; ``loop_epochs`` caps a cell's third and later calls
    (``earlier_in_cell`` calls came before this one in the same cell): the runs of a
    weight-decay sweep or of replicates, whose number matters more than their length.
    """
    if loop_epochs > 0 and earlier_in_cell >= LOOP_AFTER:
        return min(loop_epochs, max_epochs) if max_epochs > 0 else loop_epochs
    return max_epochs


def budget(max_epochs: int = 0, train_limit: int = 0, loop_epochs: int = 0) -> Budget:
    """What the setup cell's ``fit`` calls before training: the profile's limits applied.

    The function takes Keras, the call's args and kwargs (changed in place) and how many
    fits ran earlier in the cell; it returns the new args, the epochs asked for when cut
    and the samples given when cut.
    """

    def shorten(keras: Any, args: tuple, kwargs: dict[str, Any], earlier: int,
                ) -> tuple[tuple, int | None, int | None]:
        args, asked = cap_epochs(args, kwargs, epoch_cap(max_epochs, loop_epochs, earlier))
        args, given = limit_samples(args, kwargs, train_limit)
        if given is None:
            args, given = limit_batches(keras, args, kwargs, train_limit)
        return args, asked, given

    return shorten


def main(cfg: dict[str, Any]) -> None:
    """Give the setup cell's ``fit`` the profile's budget."""
    state = sys.modules[KERNEL_STATE]
    state.budget = budget(int(cfg.get("max_epochs", 0)),  # type: ignore[attr-defined]
                          int(cfg.get("train_limit", 0)), int(cfg.get("loop_epochs", 0)))
