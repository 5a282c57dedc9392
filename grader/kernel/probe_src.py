"""Runs in the student's kernel after their last cell: collects what was built.

Walks the notebook's globals (and lists, tuples and dicts inside them) for Keras
models, training histories and small square arrays (confusion matrices), then the
setup cell's fit log for models trained and since overwritten. Writes
``probe.json`` and one ``.keras`` file per built model, with its sha256 taken right
after saving; never a pickle. Nothing here is trusted for scoring: the grader
re-reads every saved model in its own clean process.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import traceback
from typing import Any

SKIP_NAMES = {"In", "Out", "exit", "quit", "get_ipython"}
PROBE_VERSION = 2
KERNEL_STATE = "_grader_kernel"
FIT_PATH = "fit #"


def jsonable(value: Any, depth: int = 0) -> Any:
    """Convert to JSON-safe plain data: NumPy scalars to floats, NaN to None, rest to text."""
    if depth > 6:
        return None
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in list(value)[:10000]]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return jsonable(value.item(), depth + 1)
    if hasattr(value, "tolist"):
        return jsonable(value.tolist(), depth + 1)
    return str(value)[:200]


def _shape(tensor: Any) -> list[int | None] | None:
    try:
        return [None if d is None else int(d) for d in tuple(tensor.shape)]
    except Exception:  # noqa: BLE001 - unbuilt layers have no shape
        return None


def _n_weights(weights: Any) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in tuple(w.shape):
            n *= int(d)
        total += n
    return total


def _serialized(obj: Any) -> Any:
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return {"class_name": obj.get("class_name"), "config": jsonable(obj.get("config"))}
    return str(obj)


def describe_layer(layer: Any) -> dict[str, Any]:
    """One row of the layer table."""
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001 - custom layers may not implement get_config
        config = {}
    activation = config.get("activation")
    if isinstance(activation, dict):
        activation = activation.get("config", {}).get("name") or activation.get("class_name")
    try:
        output = _shape(layer.output)
    except Exception:  # noqa: BLE001
        output = None
    return {
        "name": layer.name,
        "class_name": type(layer).__name__,
        "output_shape": output,
        "params": _n_weights(layer.weights),
        "trainable_params": _n_weights(layer.trainable_weights),
        "activation": activation,
        "units": config.get("units"),
        "filters": config.get("filters"),
        "kernel_size": jsonable(config.get("kernel_size")),
        "rate": config.get("rate"),
        "kernel_regularizer": _serialized(config.get("kernel_regularizer")),
        "activity_regularizer": _serialized(config.get("activity_regularizer")),
        "bias_regularizer": _serialized(config.get("bias_regularizer")),
    }


def _loss_name(loss: Any) -> str | None:
    if loss is None or isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


def _optimizer(model: Any) -> dict[str, Any] | None:
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    info: dict[str, Any] = {"class_name": type(opt).__name__}
    try:
        lr = opt.learning_rate
        info["learning_rate"] = float(lr.numpy() if hasattr(lr, "numpy") else lr)
    except Exception:  # noqa: BLE001 - schedules have no single value
        info["learning_rate"] = None
    return info


def describe_model(model: Any) -> dict[str, Any]:
    """The plain-data summary of a Keras model that checks and reports read."""
    try:
        inputs = _shape(model.inputs[0])
    except Exception:  # noqa: BLE001 - subclassed or unbuilt models
        inputs = None
    try:
        outputs = _shape(model.outputs[0])
    except Exception:  # noqa: BLE001
        outputs = None
    layers = [describe_layer(layer) for layer in model.layers]
    if outputs is None and layers:
        outputs = layers[-1]["output_shape"]
    total = _n_weights(model.weights)
    trainable = _n_weights(model.trainable_weights)
    return {
        "name": model.name,
        "class_name": type(model).__name__,
        "built": bool(getattr(model, "built", False)),
        "input_shape": inputs,
        "output_shape": outputs,
        "total_params": total,
        "trainable_params": trainable,
        "non_trainable_params": total - trainable,
        "layers": layers,
        "optimizer": _optimizer(model),
        "loss": _loss_name(getattr(model, "loss", None)),
        "compiled": getattr(model, "optimizer", None) is not None,
    }


def describe_history(history: Any) -> dict[str, Any]:
    """Summary of a ``keras.callbacks.History`` or a ``history.history``-style dict."""
    data = history if isinstance(history, dict) else getattr(history, "history", {}) or {}
    series = {str(k): jsonable(list(v)) for k, v in data.items()}
    epochs = max((len(v) for v in series.values()), default=0)
    params = {} if isinstance(history, dict) else jsonable(getattr(history, "params", {}) or {})
    return {"epochs_run": epochs, "params": params, "history": series}


def _looks_like_history_dict(value: dict) -> bool:
    return "loss" in value and all(
        isinstance(v, list) and all(isinstance(x, (int, float)) for x in v[:3])
        for v in value.values()
    )


class Walker:
    """Finds models, histories and small square arrays reachable from the globals."""

    def __init__(self, keras: Any, max_depth: int = 3, max_items: int = 64) -> None:
        self.max_depth, self.max_items = max_depth, max_items
        self.model_type = keras.Model if keras else ()
        self.history_type = keras.callbacks.History if keras else ()
        self.models: list[tuple[Any, list[str]]] = []
        self.histories: list[tuple[Any, list[str]]] = []
        self.arrays: list[dict[str, Any]] = []
        self._ids: dict[int, tuple[str, int]] = {}

    def _add(self, kind: str, obj: Any, path: str) -> None:
        seen = self._ids.get(id(obj))
        target = self.models if kind == "model" else self.histories
        if seen is not None:
            target[seen[1]][1].append(path)
            return
        self._ids[id(obj)] = (kind, len(target))
        target.append((obj, [path]))

    def _array(self, value: Any, path: str) -> None:
        try:
            shape = tuple(int(d) for d in value.shape)
        except Exception:  # noqa: BLE001 - no shape, or not one of whole numbers
            return
        if len(shape) == 2 and shape[0] == shape[1] and 2 <= shape[0] <= 100:
            import numpy as np

            a = np.asarray(value, dtype=float)
            self.arrays.append({"path": path, "shape": list(shape), "sum": jsonable(a.sum()),
                                "trace": jsonable(np.trace(a))})

    def visit(self, value: Any, path: str, depth: int = 0) -> None:
        """Record ``value`` if it is of interest, else look inside lists, tuples and dicts."""
        if isinstance(value, self.model_type):
            self._add("model", value, path)
            hist = getattr(value, "history", None)
            if isinstance(hist, self.history_type):
                self._add("history", hist, f"{path}.history")
        elif isinstance(value, self.history_type):
            self._add("history", value, path)
            owner = getattr(value, "model", None)  # models trained in a loop live on here
            if isinstance(owner, self.model_type):
                self._add("model", owner, f"{path}.model")
        elif isinstance(value, dict) and _looks_like_history_dict(value):
            self._add("history", value, path)
        elif type(value).__name__ in ("ndarray", "DataFrame", "EagerTensor", "Tensor"):
            self._array(value, path)
        elif depth < self.max_depth and isinstance(value, (list, tuple)):
            for i, item in enumerate(value[: self.max_items]):
                self.visit(item, f"{path}[{i}]", depth + 1)
        elif depth < self.max_depth and isinstance(value, dict):
            for key, item in list(value.items())[: self.max_items]:
                self.visit(item, f"{path}[{key!r}]", depth + 1)

    def walk(self, namespace: dict[str, Any]) -> None:
        """Visit every public global of the notebook."""
        for name, value in list(namespace.items()):
            if not name.startswith("_") and name not in SKIP_NAMES:
                self.visit(value, name)

    def walk_fits(self, fits: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """Visit the History of each logged ``fit`` call; return its cell key and epochs asked."""
        cells: dict[int, dict[str, Any]] = {}
        for number, record in enumerate(fits, 1):
            hist, model = record.get("history"), record.get("model")
            if isinstance(model, self.model_type):
                self._add("model", model, f"{FIT_PATH}{number}.model")
            if isinstance(hist, self.history_type):
                self._add("history", hist, f"{FIT_PATH}{number}")
                cells[id(hist)] = {"cell": str(record["cell"]) if record.get("cell") else None,
                                   "epochs_requested": record.get("epochs_requested"),
                                   "samples_given": record.get("samples_given")}
        return cells


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fit_only(paths: list[str]) -> bool:
    return all(p.startswith(FIT_PATH) for p in paths)


def _fit_log() -> list[dict[str, Any]]:
    state = sys.modules.get(KERNEL_STATE)
    fits = getattr(state, "fits", None)
    return [f for f in fits if isinstance(f, dict)] if isinstance(fits, list) else []


def _shims_used() -> list[dict[str, Any]]:
    """Keras 2 spellings the compatibility cell translated (see ``compat_src``)."""
    shims = getattr(sys.modules.get(KERNEL_STATE), "shims", None)
    if not isinstance(shims, list):
        return []
    keys = ("shim", "cell", "line", "code", "modern")
    return [{k: jsonable(s.get(k)) for k in keys} for s in shims[:200] if isinstance(s, dict)]


def _gpus() -> list[str]:
    """GPUs TensorFlow can see in this kernel (none on a CPU grader)."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return []
    try:
        return [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # noqa: BLE001 - another backend, or no TensorFlow at all
        return []


def collect(namespace: dict[str, Any], out_dir: str, max_models: int = 48) -> dict[str, Any]:
    """Describe and export everything found in ``namespace``; return the probe document.

    A notebook that never imported Keras has no models; Keras is not imported for it.
    """
    keras = sys.modules.get("keras")
    walker = Walker(keras)
    walker.walk(namespace)
    fit_cells = walker.walk_fits(_fit_log())
    os.makedirs(os.path.join(out_dir, "models"), exist_ok=True)
    models = []
    for index, (model, found_as) in enumerate(walker.models[:max_models]):
        # the student's own name first, then names through a History, then the fit log
        paths = sorted(found_as, key=lambda p: (p.startswith(FIT_PATH), p.endswith(".model")))
        entry: dict[str, Any] = {"id": index, "path": paths[0], "paths": paths,
                                 "fit_only": _fit_only(paths)}
        try:
            entry.update(describe_model(model))
        except Exception as exc:  # noqa: BLE001 - one odd model must not hide the others
            entry["describe_error"] = f"{type(exc).__name__}: {exc}"
        entry["file"], entry["export_error"], entry["sha256"] = None, None, None
        if getattr(model, "built", False):
            name = f"models/model-{index}.keras"
            try:
                model.save(os.path.join(out_dir, name))
                entry["file"] = name
                entry["sha256"] = _sha256(os.path.join(out_dir, name))
            except Exception as exc:  # noqa: BLE001
                entry["export_error"] = f"{type(exc).__name__}: {exc}"[:500]
        else:
            entry["export_error"] = "the model was never built (no Input and never trained)"
        models.append(entry)
    model_ids = {id(m): i for i, (m, _) in enumerate(walker.models[:max_models])}
    histories = []
    for index, (hist, found_as) in enumerate(walker.histories):
        paths = sorted(found_as, key=lambda p: (p.startswith(FIT_PATH), p.endswith(".history")))
        logged = fit_cells.get(id(hist), {})
        entry = {"id": index, "path": paths[0], "paths": paths, "fit_only": _fit_only(paths),
                 "cell": logged.get("cell"), "epochs_requested": logged.get("epochs_requested"),
                 "samples_given": logged.get("samples_given"), **describe_history(hist)}
        entry["model_id"] = model_ids.get(id(getattr(hist, "model", None)))
        histories.append(entry)
    return {"probe_version": PROBE_VERSION,
            "keras_version": getattr(keras, "__version__", None),
            "gpus": _gpus(),
            "models": models, "histories": histories, "arrays": walker.arrays,
            "models_skipped": max(0, len(walker.models) - max_models)}


def call_functions(namespace: dict[str, Any], calls: list[dict[str, Any]],
                   seconds: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Call the student's functions the spec names, once per argument, each with a time limit."""
    import signal

    def timeout(signum: int, frame: Any) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    out: dict[str, list[dict[str, Any]]] = {}
    old = signal.signal(signal.SIGALRM, timeout)
    try:
        for call in calls:
            name = call["function"]
            fn = namespace.get(name)
            rows = out.setdefault(name, [])
            for arg in call["args"]:
                if not callable(fn):
                    rows.append({"arg": arg, "error": f"no function `{name}` defined"})
                    continue
                signal.alarm(seconds)
                try:
                    rows.append({"arg": arg, "value": jsonable(fn(arg))})
                except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                    rows.append({"arg": arg, "error": f"{type(exc).__name__}: {exc}"[:300]})
                finally:
                    signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)
    return out


def main(cfg: dict[str, Any]) -> None:
    """Entry point in the kernel: write ``probe.json`` into ``cfg['out_dir']``."""
    from IPython import get_ipython

    out_dir = cfg["out_dir"]
    try:
        namespace = get_ipython().user_ns
        doc = collect(namespace, out_dir, int(cfg.get("max_models", 48)))
        doc["calls"] = call_functions(namespace, list(cfg.get("calls", [])))
        doc["compat"] = _shims_used()
    except Exception as exc:  # noqa: BLE001 - the grader records why the probe failed
        doc = {"probe_version": PROBE_VERSION, "error": f"{type(exc).__name__}: {exc}",
               "traceback": traceback.format_exc()}
    tmp = os.path.join(out_dir, "probe.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    os.replace(tmp, os.path.join(out_dir, "probe.json"))
