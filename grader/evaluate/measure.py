"""Measuring a submission's models: read back, measured and drawn in the clean worker.

The kernel's own description of a model is replaced by what the grader reads from
the saved file, so nothing the student's code patched can change what checks see.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader import layers as L
from grader.assignment.spec import MNIST, Spec
from grader.evaluate.workers import Meter

STRUCTURE_KEYS = ("name", "class_name", "built", "input_shape", "output_shape", "total_params",
                  "trainable_params", "non_trainable_params", "layers", "optimizer", "loss",
                  "compiled")


def evaluate_models(models: list[dict[str, Any]], spec: Spec, evaluator: Meter,
                    model_dir: Path) -> dict[int, dict[str, Any]]:
    """Read back every saved model in the clean worker and measure it on the dataset it fits.

    Models found only through a ``fit`` call are read (their structure counts) but
    not measured: no variable holds them. Returns results by model id; each read
    model's ``structure`` is in its result, for :func:`verified_models`.
    """
    requests: dict[int, tuple[Path, str | None]] = {}
    evaluations: dict[int, dict[str, Any]] = {}
    not_measured: dict[int, str] = {}
    for m in models:
        dataset = next((d for d in spec.datasets.values()
                        if "layers" in m and L.fits(m, d.inputs, d.classes)), None)
        if not m.get("file"):
            if m.get("export_error"):
                evaluations[m["id"]] = {"error": m["export_error"]}
            continue
        source = dataset.name if dataset else None
        if dataset is not None and dataset.name not in evaluator.sources:
            source = None
            not_measured[m["id"]] = (f"not measured: no `{dataset.name}` data was supplied "
                                     f"(--data {dataset.name}=PATH)")
        requests[m["id"]] = (model_dir / m["file"], source)
    measured = evaluator.evaluate(list(requests.values()))
    for mid, (path, _) in requests.items():
        result = measured.get(str(path.resolve()), {"error": "not evaluated", "transient": True})
        if mid in not_measured and "error" not in result:
            result = result | {"error": not_measured[mid]}
        evaluations[mid] = result
    if spec.denoising is not None:
        for mid, curves in denoise_models(models, evaluations, evaluator, model_dir).items():
            evaluations[mid] = {**evaluations.get(mid, {}), **curves}
    return evaluations


def verified_models(models: list[dict[str, Any]],
                    evaluations: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The probe's models with their structure replaced by what the grader read from the files.

    A model whose file the grader could not read (a Lambda layer, a custom object)
    keeps no structure: nothing the kernel claimed about it is graded.
    """
    out = []
    for m in models:
        ev = evaluations.get(m["id"], {})
        read = ev.pop("structure", None)
        if read and "error" not in read:
            kernel = {k: m.get(k) for k in ("total_params", "layers")}
            m = m | {k: read[k] for k in STRUCTURE_KEYS if k in read} | {"verified": True}
            if kernel["total_params"] not in (None, m["total_params"]):
                m["kernel_claimed"] = {"total_params": kernel["total_params"]}
        elif m.get("file"):
            why = (read or {}).get("error") or ev.get("error") or "its file could not be read"
            m = {k: v for k, v in m.items() if k not in STRUCTURE_KEYS} | {"unverified": why}
        out.append(m)
    return out


def best_classifier(models: list[dict[str, Any]],
                    evaluations: Mapping[int, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The notebook's MNIST classifier with the best grader-measured accuracy."""
    measured = [m for m in models if evaluations.get(m["id"], {}).get("dataset") == MNIST
                and evaluations[m["id"]].get("accuracy") is not None]
    if not measured:
        return None
    best = max(measured, key=lambda m: (evaluations[m["id"]]["accuracy"], m["id"]))
    ev = evaluations[best["id"]]
    return {"id": best["id"], "path": best["path"], "file": best["file"],
            "accuracy": ev["accuracy"], "scaling": ev["scaling"]}


def denoise_models(models: list[dict[str, Any]], evaluations: Mapping[int, Mapping[str, Any]],
                   evaluator: Meter, work_dir: Path) -> dict[int, dict[str, Any]]:
    """Denoising curves of each exported autoencoder, measured with the best classifier."""
    autoencoders = [m for m in models if m.get("file") and "layers" in m
                    and L.input_size(m) == 784 and L.output_size(m) == 784]
    if not autoencoders:
        return {}
    classifier = best_classifier(models, evaluations)
    if classifier is None:
        why = ("no MNIST classifier of the notebook could be measured, so the denoising curves "
               "(a classifier's accuracy on noisy and denoised images) could not be drawn")
        return {m["id"]: {"error": why} for m in autoencoders}
    requests = {m["id"]: (work_dir / m["file"], work_dir / classifier["file"],
                          classifier["scaling"]) for m in autoencoders}
    measured = evaluator.denoise(list(requests.values()))
    return {mid: measured.get(str(req[0].resolve()), {"error": "not evaluated", "transient": True})
            | {"classifier": {k: v for k, v in classifier.items() if k != "file"}}
            for mid, req in requests.items()}
