"""Runs in the student's kernel after the setup cell: Keras 2 spellings keep working.

Course notebooks lag library releases: ``SGD(lr=0.1)``, ``keras.utils.np_utils``,
``model.predict_classes``, ``fit_generator``, ``keras.layers.core`` and the history
keys ``acc``/``val_acc`` all fail on Keras 3 (and ``lr=`` is silently ignored by
Keras 2.11 to 2.15). When Keras is imported, each missing spelling is put back as a
thin translation to the modern one; the first use at each line of the student's
code prints a warning naming that line, and is recorded (``shims`` in the kernel
state) so the report can teach the modern form. Nothing is changed where the
running Keras still has the spelling.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import linecache
import os
import sys
import types
import warnings
from typing import Any

KERNEL_STATE = "_grader_kernel"
MAX_SHIMS = 200
HISTORY_KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}
MODULE_ALIASES = {  # old module path under keras: (shim, the keras module it lived in)
    "utils.np_utils": ("np_utils", "utils"),
    "layers.core": ("layers_core", "layers"),
    "layers.convolutional": ("layers_convolutional", "layers"),
    "layers.pooling": ("layers_pooling", "layers"),
    "layers.normalization": ("layers_normalization", "layers"),
    "layers.advanced_activations": ("layers_advanced_activations", "layers"),
}
LEGACY_OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl")
MODERN = {
    "optimizer_lr": "write `learning_rate=` instead of `lr=` (Keras 3 refuses `lr`; Keras "
                    "2.11-2.15 ignore it and train with the default rate)",
    "np_utils": "use `keras.utils.to_categorical` (the `np_utils` module is gone)",
    "layers_core": "import layers from `keras.layers` (`keras.layers.core` is gone)",
    "layers_convolutional": "import layers from `keras.layers` "
                            "(`keras.layers.convolutional` is gone)",
    "layers_pooling": "import layers from `keras.layers` (`keras.layers.pooling` is gone)",
    "predict_classes": "use `model.predict(x).argmax(axis=-1)` (`predict_classes` is gone)",
    "predict_proba": "use `model.predict(x)` (`predict_proba` is gone)",
    "fit_generator": "call `model.fit` with the generator (`fit_generator` is gone)",
    "evaluate_generator": "call `model.evaluate` with the generator "
                          "(`evaluate_generator` is gone)",
    "predict_generator": "call `model.predict` with the generator "
                         "(`predict_generator` is gone)",
    "history_acc": "read `history.history['accuracy']` and `['val_accuracy']` "
                   "(Keras names them after the metric, no longer `acc`)",
    "layers_normalization": "import layers from `keras.layers` "
                            "(`keras.layers.normalization` is gone)",
    "layers_advanced_activations": "import layers from `keras.layers` "
                                   "(`keras.layers.advanced_activations` is gone)",
    "legacy_optimizer": "use `keras.optimizers.SGD` (and the others) directly: "
                        "`keras.optimizers.legacy` is gone",
    "image_data_generator": "`ImageDataGenerator` is deprecated: use "
                            "`keras.utils.image_dataset_from_directory` or the "
                            "`keras.layers.Random*` augmentation layers",
    "pool_size_default": "give the pooling size: `AveragePooling2D(pool_size=2)` (Keras 2 "
                         "took 2 by default)",
}


class KerasCompatWarning(UserWarning):
    """A Keras 2 spelling the grader translated for this run."""


def _library_dirs() -> tuple[str, ...]:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


def _student_frame() -> types.FrameType | None:
    """The innermost frame of the student's own code (a notebook cell, not a library)."""
    libs = _library_dirs()
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<ipython-input") or (
                not name.startswith("<") and not os.path.realpath(name).startswith(libs)):
            return frame
        frame = frame.f_back
    return None


def used(shim: str, modern: str | None = None, era: str = "Keras 2") -> None:
    """Warn once per line of student code that relied on ``shim``, and record it.

    ``modern`` says what to write instead (default: :data:`MODERN`'s line for ``shim``).
    """
    modern = modern or MODERN[shim]
    state = sys.modules.get(KERNEL_STATE)
    frame = _student_frame()
    filename, line = (frame.f_code.co_filename, frame.f_lineno) if frame else ("?", 0)
    code = linecache.getline(filename, line).strip()[:200] if frame else ""
    shims = getattr(state, "shims", None)
    if not isinstance(shims, list):
        return
    record = {"shim": shim, "cell": getattr(state, "cell", None), "line": line, "code": code,
              "modern": modern}
    if any(r["shim"] == shim and r["cell"] == record["cell"] and r["line"] == line
           for r in shims) or len(shims) >= MAX_SHIMS:
        return
    shims.append(record)
    where = f"line {line}: `{code}`" if code else "your code"
    warnings.warn_explicit(f"{era} spelling at {where}: {modern}. The grader "
                           "translated it for this run.", KerasCompatWarning, filename, line)


def _takes(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def optimizer_lr(keras: Any) -> None:
    """``SGD(lr=0.1)`` means ``SGD(learning_rate=0.1)``, on every built-in optimizer."""
    for name in dir(keras.optimizers):
        cls = getattr(keras.optimizers, name)
        if not isinstance(cls, type) or "__init__" not in vars(cls):
            continue
        init = vars(cls)["__init__"]
        if getattr(init, "_grader_compat", False) or not _takes(init, "learning_rate") \
                or _takes(init, "lr"):
            continue

        @functools.wraps(init)
        def patched(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            if "lr" in kwargs and "learning_rate" not in kwargs:
                kwargs["learning_rate"] = kwargs.pop("lr")
                used("optimizer_lr")
            _init(self, *args, **kwargs)

        patched._grader_compat = True  # type: ignore[attr-defined]
        cls.__init__ = patched  # type: ignore[misc]  # a class's own, checked above


class _AliasModule(types.ModuleType):
    """An old module path whose attributes come from the modern module, with a warning."""

    def __init__(self, name: str, shim: str, target: Any) -> None:
        super().__init__(name)
        self._shim, self._target = shim, target

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        value = getattr(self._target, attr)
        used(self._shim)
        return value


def module_aliases(keras: Any) -> None:
    """``keras.utils.np_utils``, ``keras.layers.core`` and friends, where they are gone."""
    for suffix, (shim, parent) in MODULE_ALIASES.items():
        for root in ("keras", "tensorflow.keras"):
            name = f"{root}.{suffix}"
            if name in sys.modules:
                continue
            if root == "keras":
                try:
                    importlib.import_module(name)
                    continue
                except ImportError:
                    pass
            target: Any = getattr(keras, parent)
            if suffix == "utils.np_utils":
                target = types.SimpleNamespace(to_categorical=keras.utils.to_categorical,
                                               normalize=keras.utils.normalize)
            alias = _AliasModule(name, shim, target)
            sys.modules[name] = alias
            if root == "keras":
                setattr(getattr(keras, parent), suffix.split(".")[1], alias)


def model_methods(keras: Any) -> None:
    """``predict_classes``, ``predict_proba`` and the ``*_generator`` methods, where gone."""
    import numpy as np

    def predict_classes(self: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        used("predict_classes")
        probs = np.asarray(self.predict(x, *args, **kwargs))
        if probs.ndim > 1 and probs.shape[-1] > 1:
            return probs.argmax(axis=-1)
        return (probs > 0.5).astype("int32")

    def predict_proba(self: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        used("predict_proba")
        return self.predict(x, *args, **kwargs)

    def generator(method: str, shim: str) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            used(shim)
            for old in ("workers", "use_multiprocessing", "max_queue_size"):
                kwargs.pop(old, None)
            return getattr(self, method)(*args, **kwargs)

        call.__name__ = shim
        return call

    extra = {"fit_generator": generator("fit", "fit_generator"),
             "evaluate_generator": generator("evaluate", "evaluate_generator"),
             "predict_generator": generator("predict", "predict_generator")}
    for name, fn in extra.items():
        if not hasattr(keras.Model, name):
            setattr(keras.Model, name, fn)
    for name, fn in (("predict_classes", predict_classes), ("predict_proba", predict_proba)):
        if not hasattr(keras.Sequential, name):
            setattr(keras.Sequential, name, fn)


class HistoryDict(dict):
    """``history.history``: ``acc``/``val_acc`` read ``accuracy``/``val_accuracy`` when absent."""

    def __missing__(self, key: Any) -> Any:
        modern = HISTORY_KEYS.get(key)
        if modern is None or modern not in self:
            raise KeyError(key)
        used("history_acc")
        return self[modern]


def history_keys(keras: Any) -> None:
    """Every ``History`` keeps its records in a :class:`HistoryDict`."""
    cls = keras.callbacks.History
    for hook in ("__init__", "on_train_begin"):
        original = getattr(cls, hook)
        if getattr(original, "_grader_compat", False):
            continue

        @functools.wraps(original)
        def patched(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            out = _original(self, *args, **kwargs)
            if isinstance(getattr(self, "history", None), dict) and \
                    not isinstance(self.history, HistoryDict):
                self.history = HistoryDict(self.history)
            return out

        patched._grader_compat = True  # type: ignore[attr-defined]
        setattr(cls, hook, patched)


def legacy_optimizers(keras: Any) -> None:
    """``keras.optimizers.legacy.SGD`` (Keras 2.11-2.15) means ``keras.optimizers.SGD``."""
    legacy = getattr(keras.optimizers, "legacy", None)
    if legacy is None:
        return
    for name in LEGACY_OPTIMIZERS:
        modern = getattr(keras.optimizers, name, None)
        old = getattr(legacy, name, None)
        if modern is None or old is None or getattr(old, "_grader_compat", False):
            continue
        try:  # where the legacy class still works (Keras 2), leave it
            old(learning_rate=0.01)
            continue
        except Exception:  # noqa: BLE001, S112 - Keras 3's stand-in refuses to be made
            pass

        def make(*args: Any, _modern: Any = modern, **kwargs: Any) -> Any:
            used("legacy_optimizer")
            if "lr" in kwargs and "learning_rate" not in kwargs:
                kwargs["learning_rate"] = kwargs.pop("lr")
            return _modern(*args, **kwargs)

        make._grader_compat = True  # type: ignore[attr-defined]
        setattr(legacy, name, make)


def image_data_generator(keras: Any) -> None:
    """``keras.preprocessing.image.ImageDataGenerator``, from where Keras 3 keeps it."""
    image = getattr(getattr(keras, "preprocessing", None), "image", None)
    if image is None or hasattr(image, "ImageDataGenerator"):
        return
    try:
        kept = importlib.import_module("keras.src.legacy.preprocessing.image")
    except ImportError:
        return
    original = kept.ImageDataGenerator

    class ImageDataGenerator(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            used("image_data_generator")
            super().__init__(*args, **kwargs)

    image.ImageDataGenerator = ImageDataGenerator


def pool_size_default(keras: Any) -> None:
    """``AveragePooling2D()`` and the other pooling layers pool 2 by default, as in Keras 2."""
    for name in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
                 "MaxPooling1D", "MaxPooling2D", "MaxPooling3D"):
        cls = getattr(keras.layers, name, None)
        init = vars(cls).get("__init__") if isinstance(cls, type) else None
        if init is None or getattr(init, "_grader_compat", False):
            continue
        try:
            default = inspect.signature(init).parameters["pool_size"].default
        except (TypeError, ValueError, KeyError):
            continue
        if default is not inspect.Parameter.empty:
            continue

        @functools.wraps(init)
        def patched(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            if not args and "pool_size" not in kwargs:
                used("pool_size_default")
                kwargs["pool_size"] = 2
            _init(self, *args, **kwargs)

        patched._grader_compat = True  # type: ignore[attr-defined]
        # Keras reads a layer's __init__ arguments (getfullargspec): keep the original's
        patched.__signature__ = inspect.signature(init)  # type: ignore[attr-defined]
        cls.__init__ = patched  # type: ignore[misc]


SHIMS = (optimizer_lr, module_aliases, model_methods, history_keys, legacy_optimizers,
         image_data_generator, pool_size_default)


def install_each(module: Any, parts: Any, what: str) -> None:
    """Run each of ``parts`` on ``module``; one that fails is said and spares the others."""
    for part in parts:
        try:
            part(module)
        except Exception as exc:  # noqa: BLE001 - a Keras without some attribute: skip it
            warnings.warn(f"grader: {what} {part.__name__} not installed: {exc}",
                          RuntimeWarning, stacklevel=1)


def install(keras: Any) -> None:
    """Put back every Keras 2 spelling this Keras lacks; one failing shim spares the others."""
    install_each(keras, SHIMS, "compatibility shim")


def main(cfg: dict[str, Any]) -> None:
    """Install the shims when Keras is imported (now, if it already is)."""
    state = sys.modules[KERNEL_STATE]
    state.shims = []  # type: ignore[attr-defined]
    state.compat_used = used  # type: ignore[attr-defined]  # for the Keras 1 cell
    state.compat_install_each = install_each  # type: ignore[attr-defined]
    warnings.simplefilter("always", KerasCompatWarning)
    state.when_imported("keras", install)
