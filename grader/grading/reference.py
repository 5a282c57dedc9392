"""Expected results, computed by running a pack's reference implementation.

``build_expected`` trains every reference model on MNIST exactly as the students'
kernels see it under a profile, describes each model with the probe's own code,
measures it with the grader's own evaluation, and derives each check's expected
values through the check's registered ``expect`` function.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader import layers as L
from grader.assignment.pack import Pack
from grader.assignment.spec import MNIST, Profile
from grader.checks import checks
from grader.errors import GraderError, SpecError
from grader.evaluate.data import DataSource, load_mnist, prepare_kernel_copy
from grader.evaluate.denoise import summarize_replicates
from grader.evaluate.scoring import measure, scaling_stats
from grader.evaluate.workers import model_curves, predictor
from grader.files import write_text_whole
from grader.kernel.probe_src import describe_history, describe_model, jsonable
from grader.version import VERSION


def load_reference(pack: Pack) -> ModuleType:
    """Import the pack's ``reference.py`` (instructor code, trusted)."""
    path = pack.reference_file
    if not path.exists():
        raise SpecError("the pack has no reference.py", path=path, key="reference")
    spec = importlib.util.spec_from_file_location(f"grader_reference_{pack.id}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fn in ("build", "train"):
        if not callable(getattr(module, fn, None)):
            raise SpecError("reference.py must define build(name) and train(name, data, params)",
                            path=path, key=fn)
    return module


def expected_checks(pack: Pack, expected: dict[str, Any]) -> dict[str, Any]:
    """Each check's expected values, keyed ``<question>.<check>``."""
    out = {}
    for q in pack.spec.questions:
        for c in q.checks:
            try:
                out[f"{q.id}.{c.name}"] = checks.get(c.name).expect(c.params, expected)
            except GraderError as exc:
                raise SpecError(f"{q.id}.{c.name}: {exc.message}", path=pack.spec.path,
                                key=f"{q.id}.{c.name}") from None
    return out


def build_expected(pack: Pack, profile_name: str, mnist_path: Path, cache_dir: Path,
                   data: Mapping[str, DataSource] | None = None,
                   only: Sequence[str] = ()) -> dict:
    """Train and measure the reference under a profile; return the expected-results document.

    A reference model whose dataset was not supplied (``data``) is only built,
    not trained: its structure is known, its accuracy is not. With ``only``, just those
    reference models are trained again; the others keep what the profile's expected
    results hold (an extra dataset that arrived later retrains only its own model).

    Raises:
        GraderError: ``only`` names a model the spec does not have, leaves out half of
            the denoising pair (its curves need both trained) or a model never built.
    """
    import keras

    profile = pack.spec.profile(profile_name)
    previous = _previous(pack, profile.name, only)
    module = load_reference(pack)
    kernel_data = load_mnist(prepare_kernel_copy(mnist_path, cache_dir, profile.train_limit))
    test_data = {MNIST: load_mnist(mnist_path)}
    train_data = {MNIST: kernel_data}
    for name, source in (data or {}).items():
        train_data[name] = test_data[name] = source.load()
    models: dict[str, Any] = {}
    trained: dict[str, Any] = {}
    started = time.time()
    for name in pack.spec.reference_models:
        if previous is not None and name not in only:
            models[name] = previous["models"][name]
            continue
        keras.utils.set_random_seed(profile.seed)
        t0 = time.time()
        dataset = pack.spec.dataset_of(name)
        try:  # the instructor's code: its failure is one message naming the model
            if dataset.name in train_data:
                model, history = module.train(name, train_data[dataset.name],
                                              dict(profile.parameters))
            else:
                model, history = module.build(name), None
        except Exception as exc:  # noqa: BLE001 - said as the pack's error, with its cause
            raise SpecError(f"the reference model {name!r} could not be built and trained: "
                            f"{type(exc).__name__}: {exc}", path=pack.reference_file,
                            key=name) from exc
        summary = describe_model(model)
        summary["dataset"] = dataset.name
        summary["history"] = describe_history(history) if history is not None else None
        summary["evaluation"] = None
        if history is not None:
            trained[name] = model
        if history is not None and L.output_size(summary) == dataset.classes:
            summary["evaluation"] = measure(predictor(model), tuple(model.inputs[0].shape),
                                            test_data[dataset.name], dataset.classes,
                                            dataset.scalings, dataset.standardise_on)
        summary["train_seconds"] = round(time.time() - t0, 1)
        models[name] = summary
    expected: dict[str, Any] = {
        "assignment": pack.id,
        "spec_version": pack.spec.version,
        "profile": profile.name,
        "profile_description": profile.description,
        "generated_with": {
            "grader": VERSION, "keras": keras.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "seed": profile.seed, "train_images": int(len(kernel_data["x_train"])),
            "datasets": sorted(set(train_data) | set(
                (previous or {}).get("generated_with", {}).get("datasets", []))),
            "seconds": round(time.time() - started, 1),
        },
        "models": models,
    }
    if previous is not None:
        expected["generated_with"]["rebuilt"] = sorted(only)
    denoised = pack.spec.denoising
    if previous is not None and denoised is not None and denoised.classifier not in only:
        expected["denoising"] = previous.get("denoising")  # neither of its models retrained
    elif denoised is not None:
        expected["denoising"] = reference_curves(pack, module, profile, trained, models,
                                                 kernel_data, test_data[MNIST])
        expected["generated_with"]["seconds"] = round(time.time() - started, 1)
    expected["functions"] = {
        call["function"]: [{"arg": a, "value": jsonable(getattr(module, call["function"])(a))}
                           for a in call["args"]]
        for call in pack.spec.calls if callable(getattr(module, call["function"], None))
    }
    expected["checks"] = expected_checks(pack, expected)
    return expected


def _previous(pack: Pack, profile: str, only: Sequence[str]) -> dict[str, Any] | None:
    """The expected results the models not in ``only`` keep (None: build them all)."""
    if not only:
        return None
    unknown = sorted(set(only) - set(pack.spec.reference_models))
    if unknown:
        raise GraderError(f"no reference model {', '.join(map(repr, unknown))} (the spec's: "
                          f"{', '.join(pack.spec.reference_models)})", path=pack.root)
    pair = pack.spec.denoising
    previous = pack.expected(profile)
    missing = sorted(set(pack.spec.reference_models) - set(only) - set(previous["models"]))
    if missing:
        raise GraderError(f"no expected results for {', '.join(map(repr, missing))} yet: "
                          "name it too (or build them all)", path=pack.root)
    both = {pair.classifier, pair.autoencoder} if pair is not None else set()
    if pair is not None and (len(both & set(only)) == 1 or (
            not both & set(only) and previous.get("denoising") is None)):
        raise GraderError(f"the denoising curves need both `{pair.classifier}` and "
                          f"`{pair.autoencoder}` trained: name both (or build them all)",
                          path=pack.root)
    return previous


def reference_curves(pack: Pack, module: ModuleType, profile: Profile, trained: dict[str, Any],
                     models: dict[str, Any], train_data: dict[str, np.ndarray],
                     test_data: dict[str, np.ndarray]) -> dict[str, Any]:
    """Denoising curves of the reference classifier and autoencoder, over replicates.

    Replicate 0 reuses the models trained above; each further replicate trains both
    again with the next seed. The noise is the same for all, as for students.
    """
    config = pack.spec.denoising
    assert config is not None
    for name in (config.classifier, config.autoencoder):
        if name not in trained:
            raise SpecError(f"denoising needs the reference model `{name}` trained on MNIST",
                            path=pack.spec.path, key="denoising")
    how = models[config.classifier]["evaluation"]["scaling"]
    stats = scaling_stats(test_data, pack.spec.dataset_of(config.classifier).standardise_on)
    curves = []
    for replicate in range(config.replicates):
        classifier, autoencoder = trained[config.classifier], trained[config.autoencoder]
        if replicate:
            import keras

            keras.utils.set_random_seed(profile.seed + replicate)
            params = dict(profile.parameters)
            classifier, _ = module.train(config.classifier, train_data, params)
            autoencoder, _ = module.train(config.autoencoder, train_data, params)
        curves.append(model_curves(classifier, autoencoder, how, test_data, stats, config))
    return summarize_replicates(curves) | {"classifier": config.classifier,
                                           "autoencoder": config.autoencoder,
                                           "seed": config.seed}


def write_expected(pack: Pack, profile: str, expected: dict[str, Any]) -> Path:
    """Write expected results where the pack keeps them (stable key order, atomically)."""
    path = pack.expected_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_whole(path, json.dumps(expected, indent=1, sort_keys=True) + "\n")
    return path


def summarize(expected: dict[str, Any]) -> dict[str, Any]:
    """The part of expected results an instructor reads: sizes, accuracies, thresholds."""
    return {
        "profile": expected["profile"],
        "generated_with": expected.get("generated_with", {}),
        "models": {
            name: {
                "total_params": m["total_params"],
                "trainable_params": m["trainable_params"],
                "non_trainable_params": m["non_trainable_params"],
                "accuracy": (m.get("evaluation") or {}).get("accuracy"),
                "loss": (m.get("evaluation") or {}).get("loss"),
                "epochs": (m.get("history") or {}).get("epochs_run"),
            }
            for name, m in expected["models"].items()
        },
        "checks": expected.get("checks", {}),
        **({"denoising": {
            "levels": expected["denoising"]["levels"],
            "replicates": expected["denoising"]["replicates"],
            "classifier": expected["denoising"]["classifier"],
            "autoencoder": expected["denoising"]["autoencoder"],
            "noisy": {k: expected["denoising"]["noisy"][k] for k in ("mean", "std")},
            "denoised": {k: expected["denoising"]["denoised"][k] for k in ("mean", "std")},
        }} if expected.get("denoising") else {}),
    }
