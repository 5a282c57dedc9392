"""Runs in the student's kernel after the compatibility cell: Keras 1 spellings keep working.

Some courses' own notebooks still use Keras 1 and TensorFlow 1 (ZHAW's:
``Convolution2D(32, 3, 3, border_mode='same', init='he_normal')``,
``fit(..., nb_epoch=6)``, ``tf.set_random_seed(1)``). Each is translated to the
modern spelling when the running Keras lacks it, with the same warning and record as
the Keras 2 translations (``compat_src``), whose recorder this cell reuses.
``Convolution2D``'s positional ``(filters, rows, cols)`` is read as Keras 1 read it
only under that name: ``Conv2D(32, 3, 3)`` keeps its modern meaning (strides 3).
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any

KERNEL_STATE = "_grader_kernel"
KWARGS = {  # Keras 1 keyword: (modern keyword, what to write instead)
    "border_mode": "padding",
    "init": "kernel_initializer",
    "subsample": "strides",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "dim_ordering": "data_format",
    "output_dim": "units",
    "nb_filter": "filters",
    "p": "rate",
}
DATA_FORMAT = {"th": "channels_first", "tf": "channels_last"}
LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Dense", "MaxPooling1D", "MaxPooling2D",
          "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
          "Dropout", "SeparableConv2D", "Conv2DTranspose", "ZeroPadding2D", "UpSampling2D",
          "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten")


def _used(shim: str, modern: str) -> None:
    used = getattr(sys.modules.get(KERNEL_STATE), "compat_used", None)
    if used is not None:
        used(shim, modern, era="Keras 1")


def translate(kwargs: dict[str, Any]) -> list[str]:
    """Keras 1 keywords in ``kwargs`` renamed in place; returns the old names found."""
    found = []
    for old, new in KWARGS.items():
        if old in kwargs and new not in kwargs:
            value = kwargs.pop(old)
            if old == "dim_ordering":
                value = DATA_FORMAT.get(value, value)
            kwargs[new] = value
            found.append(old)
    return found


def layer_keywords(keras: Any) -> None:
    """``border_mode=``, ``init=``, ``subsample=``, ``batch_input_shape=`` on the usual layers."""
    for name in LAYERS:
        cls = getattr(keras.layers, name, None)
        init = vars(cls).get("__init__") if isinstance(cls, type) else None
        if init is None or getattr(init, "_grader_keras1", False):
            continue
        try:
            takes = set(inspect.signature(init).parameters)
        except (TypeError, ValueError):
            continue

        @functools.wraps(init)
        def patched(self: Any, *args: Any, _init: Any = init, _takes: set = takes,
                    **kwargs: Any) -> None:
            old = [k for k in KWARGS if k in kwargs and k not in _takes]
            if old:
                translate(kwargs)
                _used("keras1_keywords", "write " + ", ".join(
                    f"`{KWARGS[k]}=` for `{k}=`" for k in old))
            batch_shape = kwargs.get("batch_input_shape")
            if "batch_input_shape" not in _takes and isinstance(batch_shape, (tuple, list)) \
                    and "input_shape" not in kwargs:
                del kwargs["batch_input_shape"]  # Keras 1 and 2; Keras 3 takes `input_shape`
                kwargs["input_shape"] = tuple(batch_shape[1:])
                _used("batch_input_shape", "write `input_shape=` without the batch size (or "
                      "an `Input` layer) instead of `batch_input_shape=`")
            _init(self, *args, **kwargs)

        patched._grader_keras1 = True  # type: ignore[attr-defined]
        # Keras reads a layer's __init__ arguments (getfullargspec): keep the original's
        patched.__signature__ = inspect.signature(init)  # type: ignore[attr-defined]
        cls.__init__ = patched  # type: ignore[misc]


def convolution2d(keras: Any) -> None:
    """``Convolution2D(32, 3, 3, ...)``: 32 filters of 3×3, as Keras 1 read it."""
    conv = keras.layers.Conv2D
    old = getattr(keras.layers, "Convolution2D", None)
    if getattr(old, "_grader_keras1", False):
        return

    def Convolution2D(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - Keras 1's name
        if len(args) >= 3 and all(isinstance(a, int) for a in args[:3]) \
                and "kernel_size" not in kwargs:
            args = (args[0], (args[1], args[2]), *args[3:])
            _used("keras1_convolution2d", "write `Conv2D(32, (3, 3), ...)`: "
                  "`Convolution2D(32, 3, 3)` is Keras 1 (Keras 2 and 3 read the third "
                  "number as the strides)")
        return conv(*args, **kwargs)

    Convolution2D._grader_keras1 = True  # type: ignore[attr-defined]
    keras.layers.Convolution2D = Convolution2D


def fit_nb_epoch(keras: Any) -> None:
    """``fit(..., nb_epoch=6)`` means ``epochs=6``."""
    original = keras.Model.fit
    if getattr(original, "_grader_keras1", False):
        return

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "nb_epoch" in kwargs and "epochs" not in kwargs:
            kwargs["epochs"] = kwargs.pop("nb_epoch")
            _used("keras1_nb_epoch", "write `epochs=` instead of `nb_epoch=`")
        return original(self, *args, **kwargs)

    fit._grader_keras1 = True  # type: ignore[attr-defined]
    keras.Model.fit = fit


def tensorflow1(tf: Any) -> None:
    """``tf.set_random_seed`` (TensorFlow 1) means ``tf.random.set_seed``."""
    if hasattr(tf, "set_random_seed") or not hasattr(getattr(tf, "random", None), "set_seed"):
        return

    def set_random_seed(seed: Any) -> None:
        _used("tf1_set_random_seed", "write `tf.random.set_seed(...)` "
              "(`tf.set_random_seed` is TensorFlow 1)")
        tf.random.set_seed(seed)

    tf.set_random_seed = set_random_seed


def install(keras: Any) -> None:
    """Put back every Keras 1 spelling this Keras lacks (the compatibility cell's loop)."""
    install_each = getattr(sys.modules.get(KERNEL_STATE), "compat_install_each", None)
    if install_each is not None:
        install_each(keras, (layer_keywords, convolution2d, fit_nb_epoch), "Keras 1 translation")


def main(cfg: dict[str, Any]) -> None:
    """Install the translations when Keras (and TensorFlow) are imported."""
    state = sys.modules[KERNEL_STATE]
    state.when_imported("keras", install)
    state.when_imported("tensorflow", tensorflow1)
