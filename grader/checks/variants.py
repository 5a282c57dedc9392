"""Checks across all the notebook's models: layer counts, trained variants, kernel plots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from grader import layers as L
from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.hints import HINTS
from grader.checks.params import no_model, reference_model


def _expect_counts(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    kinds = list(params.get("kinds", ["Conv2D", "MaxPooling2D", "Dense"]))
    counts = Counter(layer["class_name"] for layer in reference_model(params, reference)["layers"])
    return {"counts": {k: counts.get(k, 0) for k in kinds}}


@checks.register("layer_counts", expect=_expect_counts)
def layer_counts(inp: CheckInput) -> CheckResult:
    """The model has as many layers of each kind as the reference (e.g. 2 Conv2D, 2 Dense)."""
    model = inp.found.get("model")
    if model is None:
        return no_model(inp)
    want: dict[str, int] = dict(inp.expected["counts"])
    have = Counter(layer["class_name"] for layer in model["layers"])
    expected = ", ".join(f"{n} {k}" for k, n in want.items())
    found = ", ".join(f"{have.get(k, 0)} {k}" for k in want)
    wrong = [k for k, n in want.items() if have.get(k, 0) != n]
    if not wrong:
        return inp.passed(f"`{model['path']}` has {found}, as asked.", expected=expected,
                          found=found)
    advice = inp.params.get("hint") or "Compare your model with the architecture figure."
    return inp.failed(f"Expected {expected}; `{model['path']}` has {found}. {advice}",
                      expected=expected, found=found)


def _trained_ids(histories: Sequence[Mapping[str, Any]]) -> set[int]:
    return {h["model_id"] for h in histories if h.get("model_id") is not None
            and h.get("epochs_run", 0) > 0}


def variant_of(model: Mapping[str, Any], attribute: str) -> str | None:
    """The value of ``attribute`` that tells a model's variants apart, or None if it has none.

    ``activation``: the hidden layers' activations (output softmax left out);
    ``dropout``: the Dropout rates, in order.
    """
    if attribute == "activation":
        weighted = [b for b in L.blocks(model.get("layers") or []) if b["kind"] in L.WEIGHTED]
        acts = sorted({str(b.get("activation")) for b in weighted[:-1]} - {"linear", "None"})
        return "+".join(acts) or None
    if attribute == "dropout":
        rates = [layer.get("rate") for layer in model.get("layers") or []
                 if layer.get("class_name") == "Dropout"]
        return "/".join(f"{r:g}" for r in rates if r is not None) or None
    raise ValueError(f"unknown variant attribute {attribute!r}")


@checks.register("variants_trained", needs_model=False)
def variants_trained(inp: CheckInput) -> CheckResult:
    """Trained models differ in ``attribute``: all ``values``, or ``min_distinct`` of them."""
    attribute = str(inp.params["attribute"])
    required = [str(v) for v in inp.params.get("values", [])]
    min_distinct = int(inp.params.get("min_distinct", len(required) or 2))
    trained = _trained_ids(inp.found.get("histories", []))
    seen: dict[str, str] = {}
    for m in inp.found.get("models", []):
        if m["id"] in trained and "layers" in m and L.is_cnn(m) == bool(
                inp.params.get("cnn", True)):
            value = variant_of(m, attribute)
            if value is not None:
                seen.setdefault(value, m["path"])
    what = str(inp.params.get("what", attribute))
    expected = (f"trained models with {what} {', '.join(required)}" if required
                else f"trained models with at least {min_distinct} different {what} settings")
    found = ", ".join(f"{v} (`{p}`)" for v, p in seen.items()) or "none"
    missing = [v for v in required if v not in seen]
    if not missing and len(seen) >= min_distinct:
        return inp.passed(f"Trained variants found: {found}.", expected=expected, found=found)
    advice = str(inp.params.get("hint") or HINTS["variants_trained"])
    if not seen:
        message = f"No trained model with any {what} setting found."
    elif missing:
        message = f"No trained model with {what} {', '.join(missing)} found (found: {found})."
    else:
        message = f"Only {len(seen)} different {what} setting(s) trained (found: {found})."
    score = inp.max_score * min(len(seen), min_distinct) / max(min_distinct, 1) / 2
    outcome = Outcome.PARTIAL if score > 0 else Outcome.FAIL
    return inp.result(outcome, score, f"{message} {advice}", expected=expected, found=found)


def _kernel_images(figure: Mapping[str, Any], max_side: int) -> int:
    return sum(1 for ax in figure.get("axes", []) for shape in ax.get("images", [])
               if len(shape) >= 2 and 0 < shape[0] <= max_side and 0 < shape[1] <= max_side)


@checks.register("kernels_plotted", needs_model=False)
def kernels_plotted(inp: CheckInput) -> CheckResult:
    """``min_figures`` figures of convolution kernels, ``min_kernels`` small images each."""
    want = int(inp.params.get("min_figures", 2))
    per_figure = int(inp.params.get("min_kernels", 4))
    max_side = int(inp.params.get("max_side", 11))
    figures = [f for f in inp.found.get("figures", [])
               if _kernel_images(f, max_side) >= per_figure]
    expected = (f"{want} figure(s) of convolution kernels (at least {per_figure} kernel images "
                f"each)")
    found = f"{len(figures)} such figure(s)"
    if len(figures) >= want:
        return inp.passed(f"Found {found}.", expected=expected, found=found)
    advice = str(inp.params.get("hint") or HINTS["kernels_plotted"])
    score = inp.max_score * len(figures) / want
    return inp.result(Outcome.PARTIAL if score > 0 else Outcome.FAIL, score,
                      f"Expected {expected}; found {found}. {advice}", expected=expected,
                      found=found)


def _dense_units(model: Mapping[str, Any]) -> list[int]:
    return [int(layer["units"]) for layer in model.get("layers") or []
            if layer.get("class_name") == "Dense" and layer.get("units") is not None]


def l2_factor(model: Mapping[str, Any], which: str = "kernel_regularizer") -> float | None:
    """The L2 factor of the hidden Dense layers' ``which`` regularizer, or None.

    The largest is taken when the layers differ.
    """
    dense = [layer for layer in model.get("layers") or [] if layer.get("class_name") == "Dense"]
    factors = []
    for layer in dense[:-1]:
        reg = layer.get(which)
        config = reg.get("config") if isinstance(reg, dict) else None
        value = config.get("l2") if isinstance(config, dict) else None
        if isinstance(value, (int, float)) and value > 0:
            factors.append(float(value))
    return max(factors) if factors else None


def _expect_sweep(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    low, high = (float(v) for v in params.get("range", [1e-6, 1e-3]))
    return {"units": _dense_units(reference_model(params, reference)), "range": [low, high],
            "factors": int(params.get("factors", 5)),
            "replicates": int(params.get("replicates", 3))}


@checks.register("weight_decay_sweep", expect=_expect_sweep, needs_model=False)
def weight_decay_sweep(inp: CheckInput) -> CheckResult:
    """L2 weight decay on the hidden kernels of the reference's network, swept and replicated.

    ``factors`` values in ``range``, ``replicates`` trained models each. Models trained
    and then overwritten count: the grader sees every ``fit`` call.
    """
    units, (low, high) = inp.expected["units"], inp.expected["range"]
    want, reps = int(inp.expected["factors"]), int(inp.expected["replicates"])
    trained = _trained_ids(inp.found.get("histories", []))
    runs: dict[float, int] = {}
    activity = 0
    for m in inp.found.get("models", []):
        if m["id"] not in trained or _dense_units(m) != units:
            continue
        factor = l2_factor(m)
        if factor is None:
            activity += l2_factor(m, "activity_regularizer") is not None
            continue
        key = float(f"{factor:.3g}")
        runs[key] = runs.get(key, 0) + 1
    net = "-".join(str(u) for u in units)
    expected = (f"{want} L2 factors in [{low:g}, {high:g}] on the hidden layers' kernels of the "
                f"{net} network, {reps} trained replicates each")
    found = ", ".join(f"{f:g}: {n} run{'s' * (n != 1)}" for f, n in sorted(runs.items())) or "none"
    in_range = {f: n for f, n in runs.items() if low * 0.999 <= f <= high * 1.001}
    full = sorted(f for f, n in in_range.items() if n >= reps)
    details = {"expected": expected, "found": found, "runs": {f"{f:g}": n for f, n in runs.items()}}
    if len(full) >= want:
        return inp.passed(f"Weight-decay sweep found: {found}.", **details)
    notes = []
    if activity:
        notes.append(f"{activity} trained model(s) use `activity_regularizer`, which penalises "
                     "layer outputs, not weights: weight decay is `kernel_regularizer`")
    outside = sorted(set(runs) - set(in_range))
    if outside:
        notes.append(f"factors outside [{low:g}, {high:g}]: {', '.join(f'{f:g}' for f in outside)}")
    short = sorted(f for f, n in in_range.items() if n < reps)
    if short:
        notes.append(f"fewer than {reps} replicates at {', '.join(f'{f:g}' for f in short)}")
    done = sum(min(n, reps) for n in sorted(in_range.values(), reverse=True)[:want])
    score = inp.max_score * done / (want * reps)
    message = (f"Expected {expected}; found {found}" + (f" ({'; '.join(notes)})" if notes else "")
               + ". Build a fresh model for every run, e.g. `Dense(500, activation='relu', "
               "kernel_regularizer=keras.regularizers.l2(factor))`, and call `fit` on each.")
    return inp.result(Outcome.PARTIAL if score > 0 else Outcome.FAIL, score, message, **details)
