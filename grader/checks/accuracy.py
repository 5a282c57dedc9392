"""Accuracy measured by the grader on the held-out test set, with partial credit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.params import no_model, reference_model


def _bound(params: Mapping[str, Any], reference: Mapping[str, Any], which: str) -> float:
    """A bound is a number, or a reference model's measured accuracy plus an offset."""
    value = params.get(which)
    if isinstance(value, (int, float)):
        return float(value)
    model = reference_model({"reference": params.get(f"{which}_model")}, reference)
    offset = float(params.get(f"{which}_offset", 0))
    return round(float(model["evaluation"]["accuracy"]) + offset, 4)


def _expect(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    lower, upper = _bound(params, reference, "lower"), _bound(params, reference, "upper")
    return {"lower": min(lower, upper), "upper": max(lower, upper)}


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


@checks.register("accuracy_threshold", expect=_expect)
def accuracy_threshold(inp: CheckInput) -> CheckResult:
    """Test accuracy, measured by the grader: full marks from ``upper``, none below ``lower``."""
    if inp.found.get("model") is None:
        return no_model(inp)
    evaluation = inp.found.get("evaluation")
    lower, upper = float(inp.expected["lower"]), float(inp.expected["upper"])
    expected = f"at least {_pct(upper)} for full marks (points from {_pct(lower)})"
    if not evaluation or evaluation.get("accuracy") is None:
        why = (evaluation or {}).get("error") or "the model could not be exported or loaded"
        return inp.failed(f"The grader could not measure your model's accuracy: {why}.",
                          expected=expected, found=why)
    acc = float(evaluation["accuracy"])
    found = f"{_pct(acc)} on the 10,000 held-out test images"
    details = {"expected": expected, "found": found, "accuracy": acc, "lower": lower,
               "upper": upper}
    if acc >= upper:
        return inp.passed(f"Test accuracy {found}: full marks (needed {_pct(upper)}).", **details)
    advice = str(inp.params.get("hint") or
                 "Train longer or widen the hidden layers, and watch the validation curve.")
    if acc <= lower:
        return inp.failed(
            f"Test accuracy {found}, below the {_pct(lower)} where points start. {advice}",
            advice=advice, **details,
        )
    score = inp.max_score * (acc - lower) / (upper - lower)
    return inp.result(
        Outcome.PARTIAL, score,
        f"Test accuracy {found}: partial credit; {_pct(upper)} earns full marks. {advice}",
        advice=advice, **details,
    )
