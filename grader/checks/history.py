"""Checks on training histories: how long the model trained and how it generalised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.params import no_model, reference_model

METRIC_ALIASES = {
    "accuracy": ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy"),
    "loss": ("loss",),
}


def metric_series(
    history: Mapping[str, Sequence[float | None]], metric: str, validation: bool = False
) -> tuple[str, list[float]] | None:
    """Find a metric's per-epoch values under any of its Keras spellings."""
    for name in METRIC_ALIASES.get(metric, (metric,)):
        key = f"val_{name}" if validation else name
        values = history.get(key)
        if values:
            return key, [float("nan") if v is None else float(v) for v in values]
    return None


def epochs_asked(history: Mapping[str, Any]) -> int:
    """Epochs the notebook trained for, or asked for when the profile capped its ``fit``."""
    ran = int(history.get("epochs_run", 0) or 0)
    asked = history.get("epochs_requested")
    return max(ran, asked) if isinstance(asked, int) else ran


def _no_history(inp: CheckInput) -> CheckResult:
    if inp.found.get("model") is None and "selection" in inp.found:
        return no_model(inp)
    path = inp.found.get("selection", {}).get("path") or "the graded model"
    return inp.failed(
        f"No training history found for `{path}`: train it with `history = model.fit(...)` "
        "in the notebook.",
        expected="a training history", found="none",
    )


def _expect_length(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    return {"min_epochs": int(params.get("min_epochs", 1)),
            "validation": bool(params.get("require_validation", True))}


@checks.register("history_length", expect=_expect_length)
def history_length(inp: CheckInput) -> CheckResult:
    """The model trained for at least ``min_epochs`` epochs, with validation if asked."""
    history = inp.found.get("history")
    if history is None:
        return _no_history(inp)
    ran, epochs = int(history.get("epochs_run", 0)), epochs_asked(history)
    want = int(inp.expected["min_epochs"])
    has_val = any(k.startswith("val_") for k in history.get("history", {}))
    expected = f"at least {want} epochs" + (" with a validation set" if inp.expected[
        "validation"] else "")
    found = f"{epochs} epoch{'s' * (epochs != 1)}" + (
        f" (this profile trained {ran})" if epochs != ran else "") + (
        ", with validation" if has_val else ", without validation")
    details = {"expected": expected, "found": found, "epochs": epochs}
    problems = []
    if epochs < want:
        problems.append(f"raise `epochs` to {want} or more so the curves show the trend")
    if inp.expected["validation"] and not has_val:
        problems.append("pass `validation_split=0.2` (or `validation_data=`) to `fit`")
    if not problems:
        return inp.passed(f"Trained {found}.", **details)
    if len(problems) == 1 and epochs >= want:
        return inp.result(Outcome.PARTIAL, inp.max_score / 2,
                          f"Trained {found}; expected {expected}: {problems[0]}.", **details)
    return inp.failed(f"Trained {found}; expected {expected}: {'; '.join(problems)}.", **details)


def _final_gap(history: Mapping[str, Sequence[float | None]], metric: str) -> float | None:
    train = metric_series(history, metric)
    val = metric_series(history, metric, validation=True)
    if not train or not val:
        return None
    sign = 1.0 if metric == "accuracy" else -1.0
    return round(sign * (train[1][-1] - val[1][-1]), 4)


def _expect_gap(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    metric = params.get("metric", "accuracy")
    model = reference_model(params, reference)
    ref_gap = _final_gap(model["history"]["history"], metric) or 0.0
    return {"metric": metric, "reference_gap": ref_gap,
            "max_gap": round(max(ref_gap, 0.0) + float(params.get("tolerance", 0.03)), 4)}


@checks.register("overfitting_gap", expect=_expect_gap)
def overfitting_gap(inp: CheckInput) -> CheckResult:
    """The final train-minus-validation gap stays within the reference's gap plus a tolerance."""
    history = inp.found.get("history")
    if history is None:
        return _no_history(inp)
    metric = inp.expected["metric"]
    gap = _final_gap(history.get("history", {}), metric)
    max_gap = float(inp.expected["max_gap"])
    expected = f"a final train-vs-validation {metric} gap of at most {max_gap:.3f}"
    if gap is None:
        return inp.failed(
            f"No validation {metric} recorded, so overfitting cannot be judged: pass "
            "`validation_split=0.2` to `fit`.", expected=expected, found="no validation curve",
        )
    found = f"a gap of {gap:.3f} (reference: {inp.expected['reference_gap']:.3f})"
    details = {"expected": expected, "found": found, "gap": gap}
    if gap <= max_gap:
        return inp.passed(f"Training and validation {metric} stay close: {found}.", **details)
    return inp.failed(
        f"The model fits its training data much better than the validation data ({found}): it "
        "is overfitting. Train fewer epochs, use a smaller network, or add Dropout.", **details,
    )
