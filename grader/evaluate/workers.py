"""Grader-side evaluation: the only scores that count are measured here.

Exported models are loaded in a separate, clean Python process (spawned, never
forked from anything that ran student code) with Keras safe mode on, and run on
the held-out MNIST test set (or a test set the instructor supplies), scored by
:mod:`grader.evaluate.scoring`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from grader.assignment.spec import MNIST, Denoising
from grader.evaluate.data import DataSource
from grader.evaluate.denoise import as_unit_images, denoising_curves
from grader.evaluate.scoring import fit_shape, measure, on_images, scale, scaling_stats

_WORKER: dict[str, Any] = {}
_IN_PROCESS = threading.Lock()


class Meter(Protocol):
    """What grading needs of a clean evaluator.

    :class:`Evaluator` here, or :class:`grader.evaluate.env_workers.EnvEvaluator` in the course's
    own Python.
    """

    sources: dict[str, DataSource]

    def warm(self) -> None:
        """Start the workers and import Keras there, ahead of the first request."""

    def evaluate(self, requests: Sequence[tuple[Path, str | None]]) -> dict[str, dict[str, Any]]:
        """Read (and measure, given a source) each model file; results by resolved path."""
        ...

    def denoise(self, requests: Sequence[tuple[Path, Path, str]]) -> dict[str, dict[str, Any]]:
        """Denoising curves for (autoencoder, classifier, scaling); results by path."""
        ...

    def close(self) -> None:
        """Stop the workers."""


def conv_kernels(model: Any, layers: int = 2, max_filters: int = 32) -> list[list]:
    """Kernels of the first convolution layers, as (filter, row, column) lists.

    Only the first input channel of each filter is kept: enough to draw them.
    """
    out: list[list] = []
    for layer in model.layers:
        if type(layer).__name__ != "Conv2D" or len(out) == layers:
            continue
        weights = np.asarray(layer.get_weights()[0])  # height, width, channels, filters
        kernels = np.transpose(weights[:, :, 0, :max_filters], (2, 0, 1))
        out.append(np.round(kernels.astype(float), 4).tolist())
    return out


def _init_worker(sources: dict[str, DataSource], images: dict[str, dict[str, Any]],
                 denoising: Denoising | None = None, log: str | None = None) -> None:
    if log is not None:  # what TensorFlow and Keras print goes there, not to the terminal
        _output_to(log)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # leave the cards to kernels
    _WORKER["sources"] = sources
    _WORKER["images"] = images
    _WORKER["denoising"] = denoising
    _WORKER["data"] = {}
    _WORKER["stats"] = {}


def _output_to(log: str) -> None:
    """This process's stdout and stderr appended to ``log`` from now on."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)


def _data(name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A source's arrays and scaling statistics, loaded and computed once per worker."""
    if name not in _WORKER["data"]:
        source = _WORKER["sources"][name]
        _WORKER["data"][name] = source.load()
        _WORKER["stats"][name] = scaling_stats(_WORKER["data"][name],
                                               source.dataset.standardise_on)
    return _WORKER["data"][name], _WORKER["stats"][name]


def _load(path: str, compile: bool = False) -> Any:
    """A student's exported model, in safe mode; raises ValueError with the reason in words.

    With ``compile``, the saved loss and optimizer are restored too when Keras can do
    so safely; a model whose training setup cannot be restored loads without it.
    """
    import keras

    try:
        if compile:
            try:
                return keras.models.load_model(path, safe_mode=True, compile=True)
            except Exception:  # noqa: BLE001 - retried without the training setup
                pass
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - every refusal becomes a recorded reason
        text = str(exc).split("\n")[0][:300]
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            text = ("the model contains code (a Lambda layer or custom object) that the grader "
                    "refuses to run; use built-in Keras layers")
        raise ValueError(f"could not load the exported model: {text}") from None


def _numpy(out: Any) -> np.ndarray:
    """A model's output (a TensorFlow tensor, or already an array) as a NumPy array."""
    return out.numpy() if hasattr(out, "numpy") else np.asarray(out)


def graph_call(model: Any) -> Any | None:
    """The model's inference as one TensorFlow graph for any batch size; None if it can't be.

    ``predict`` would trace a heavier graph (autograph, data adapters) for every model
    it meets, and calling the model eagerly pays Keras' per-layer dispatch on every
    batch: for a small CNN on 22,000 images that dispatch is about 40 % of the CPU time.
    One trace with autograph off costs a few hundredths of a second. Models with
    several inputs, or on a backend other than TensorFlow, are called eagerly.
    """
    try:
        import keras
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow" or len(model.inputs) != 1:
            return None
        spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.as_dtype(
            model.inputs[0].dtype))
        call = tf.function(lambda x: model(x, training=False), input_signature=[spec],
                           autograph=False)
        call.get_concrete_function()  # trace now: a model that can't be traced goes eager
    except Exception:  # noqa: BLE001 - eager calls are always possible
        return None
    return call


def predictor(model: Any, batch: int = 1000) -> Any:
    """Inference (``training=False``) in batches of ``batch``, as one NumPy array.

    The model runs as one graph (:func:`graph_call`) where it can, else eagerly.
    """
    call = graph_call(model)

    def predict(x: np.ndarray) -> np.ndarray:
        if call is None:
            run = lambda part: model(part, training=False)  # noqa: E731
        else:  # the graph takes exactly its input dtype: float64 scalings are cast
            run, x = call, np.asarray(x, dtype=call.input_signature[0].dtype.as_numpy_dtype)
        parts = [_numpy(run(x[i:i + batch])) for i in range(0, len(x), batch)]
        return np.concatenate(parts) if parts else np.asarray(model.predict(x, verbose=0))

    return predict


def model_curves(classifier: Any, autoencoder: Any | None, how: str,
                 data: dict[str, np.ndarray], stats: dict[str, Any],
                 config: Denoising) -> dict[str, Any]:
    """Denoising curves of trained models on the test set (``how``: the classifier's scaling).

    The autoencoder gets images in [0, 1], as DAT405 trains it.
    """
    clf_predict, clf_shape = predictor(classifier), tuple(classifier.inputs[0].shape)
    n = config.images or len(data["x_test"])
    x_unit = data["x_test"][:n].astype("float32") / 255.0

    def classify(images: np.ndarray) -> np.ndarray:
        x = scale(images * 255.0, how, stats)
        return clf_predict(fit_shape(x, clf_shape)).argmax(axis=1)

    denoise = None
    if autoencoder is not None:
        ae_predict, ae_shape = predictor(autoencoder), tuple(autoencoder.inputs[0].shape)

        def denoise(images: np.ndarray) -> np.ndarray:
            return as_unit_images(ae_predict(fit_shape(images, ae_shape)), len(images))

    return denoising_curves(classify, denoise, x_unit, data["y_test"][:n], config.levels,
                            config.seed)


def denoise_file(autoencoder_path: str, classifier_path: str, how: str) -> dict[str, Any]:
    """Denoising curves of a student's autoencoder with their classifier (runs in the worker)."""
    config = _WORKER["denoising"]
    if config is None:
        return {"error": "this assignment draws no denoising curves"}
    try:
        autoencoder, classifier = _load(autoencoder_path), _load(classifier_path)
    except ValueError as exc:
        return {"error": str(exc)}
    try:
        data, stats = _data(MNIST)
        return {"denoising": model_curves(classifier, autoencoder, how, data, stats, config)}
    except Exception as exc:  # noqa: BLE001
        return {"error": f"could not draw the denoising curves: {exc}"[:400]}


def structure(model: Any) -> dict[str, Any]:
    """What the grader reads off a loaded model: layers, parameter counts, loss, optimizer.

    The same description the probe makes in the kernel, made here again so that no
    monkey-patching in the student's kernel can change what the checks see.
    """
    from grader.kernel.probe_src import describe_model

    try:
        return describe_model(model)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"could not read the model's structure: {exc}"[:400]}


def describe_file(path: str) -> dict[str, Any]:
    """The structure of one saved model, loaded in safe mode (runs in the worker)."""
    try:
        return {"structure": structure(_load(path, compile=True))}
    except ValueError as exc:
        return {"error": str(exc)}


def evaluate_file(path: str, source: str) -> dict[str, Any]:
    """Load one ``.keras`` file in safe mode and measure it on ``source`` (runs in the worker)."""
    try:
        model = _load(path, compile=True)
    except ValueError as exc:
        return {"error": str(exc)}
    described = {"structure": structure(model)}
    result = _measure(model, source)
    return result | described


def _measure(model: Any, source: str) -> dict[str, Any]:
    dataset = _WORKER["sources"][source].dataset
    predict = predictor(model)
    try:
        shape = tuple(model.inputs[0].shape)
        data, stats = _data(source)
        result = measure(predict, shape, data, dataset.classes, dataset.scalings,
                         dataset.standardise_on, stats=stats)
        if source == MNIST and _WORKER["images"]:
            result["image_sets"] = on_images(predict, shape, result["scaling"], stats,
                                             _WORKER["images"])
    except Exception as exc:  # noqa: BLE001
        return {"error": f"could not run the model on test data: {exc}"[:400]}
    return result | {"dataset": source, "kernels": conv_kernels(model)}


def _warm() -> None:
    """Import Keras (and TensorFlow) and read the data in a worker before its first model."""
    import keras  # noqa: F401

    for name in _WORKER.get("sources", {}):
        # a file that cannot be read is read again at the first model, and the failure
        # recorded with that model's result: a worker (of a pack's own Python) that died
        # here would only say that it died
        with contextlib.suppress(Exception):
            _data(name)


def _evaluate_many(requests: list[tuple[str, str | None]]) -> dict[str, dict[str, Any]]:
    return {path: evaluate_file(path, source) if source else describe_file(path)
            for path, source in requests}


def _denoise_many(requests: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    return {ae: denoise_file(ae, clf, how) for ae, clf, how in requests}


class Evaluator:
    """Clean worker processes, started once and reused for every submission of a batch.

    Safe to call from several threads at once; ``processes`` workers serve them. With
    ``processes = 0`` the work runs in this process, which must itself be clean (a
    dask worker: it never runs student code, and may not start processes of its own).
    With ``log``, what the workers print (TensorFlow's start-up lines, a crash's last
    words) is appended to that file instead of this process's terminal.
    """

    def __init__(self, sources: Mapping[str, DataSource], timeout: float = 600,
                 images: Mapping[str, dict[str, Any]] | None = None,
                 denoising: Denoising | None = None, processes: int = 1,
                 log: Path | None = None) -> None:
        self.processes = max(0, processes)
        self.log = log
        self._lock = threading.Lock()
        self.sources = dict(sources)
        self.images = dict(images or {})
        self.denoising = denoising
        self.timeout = timeout
        self._pool: Pool | None = None

    def _get_pool(self) -> Pool:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                log = None if self.log is None else str(self.log)
                if log is not None:
                    Path(log).parent.mkdir(parents=True, exist_ok=True)
                self._pool = ctx.Pool(self.processes, initializer=_init_worker,
                                      initargs=(self.sources, self.images, self.denoising, log))
            return self._pool

    def warm(self) -> None:
        """Start the workers and have them import Keras now, while the first kernels run."""
        if self.processes == 0:
            return
        pool = self._get_pool()
        for _ in range(self.processes):
            pool.apply_async(_warm)

    def evaluate(self, requests: Sequence[tuple[Path, str | None]]) -> dict[str, dict[str, Any]]:
        """Read each exported model and measure it on its data source; failures are recorded.

        Args:
            requests: (model file, data source name) pairs; with no source the model is
                only read (its ``structure``), not measured.

        Returns:
            Results keyed by the model file's resolved path.
        """
        jobs = [(str(Path(f).resolve()), src) for f, src in requests]
        return self._run(_evaluate_many, jobs)

    def denoise(self, requests: Sequence[tuple[Path, Path, str]]) -> dict[str, dict[str, Any]]:
        """Denoising curves for (autoencoder file, classifier file, classifier scaling) triples.

        Returns:
            Results keyed by the autoencoder file's resolved path; failures recorded.
        """
        jobs = [(str(Path(ae).resolve()), str(Path(clf).resolve()), how)
                for ae, clf, how in requests]
        return self._run(_denoise_many, jobs)

    def _run(self, fn: Any, jobs: Sequence[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
        if not jobs:
            return {}
        if self.processes == 0:
            with _IN_PROCESS:
                if _WORKER.get("owner") is not self:
                    _init_worker(self.sources, self.images, self.denoising)
                    _WORKER["owner"] = self
                return fn(jobs)
        try:
            return self._get_pool().apply_async(fn, (jobs,)).get(self.timeout)
        except multiprocessing.TimeoutError:
            why = f"evaluation took longer than {self.timeout:.0f} s"
        except Exception as exc:  # noqa: BLE001 - a crashed worker is restarted next time
            why = f"evaluation worker failed: {type(exc).__name__}: {exc}"
            if self.log is not None:
                why += f" (its log: {self.log})"
        if self.processes == 1:  # restart it; with several, the others go on serving
            self.close()
        return {job[0]: {"error": why, "transient": True} for job in jobs}

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
