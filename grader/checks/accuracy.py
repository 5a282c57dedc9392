"""Accuracy measured by the grader on the held-out test set, with partial credit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.hints import HINTS
from grader.checks.params import no_model, reference_model
from grader.text import pct


def _bound(params: Mapping[str, Any], reference: Mapping[str, Any], which: str) -> float:
    """A bound is a number, or a reference model's measured accuracy plus an offset."""
    value = params.get(which)
    if isinstance(value, (int, float)):
        return float(value)
    model = reference_model({"reference": params.get(f"{which}_model")}, reference)
    offset = float(params.get(f"{which}_offset", 0))
    return round(float(model["evaluation"]["accuracy"]) + offset, 4)


def _expect(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    for which in ("lower", "upper"):
        name = params.get(f"{which}_model")
        if name and not reference.get("models", {}).get(name, {}).get("evaluation"):
            return {"unavailable": f"the reference model `{name}` was built without its data"}
    lower, upper = _bound(params, reference, "lower"), _bound(params, reference, "upper")
    cap = params.get("cap")
    if isinstance(cap, (int, float)):  # a handout's target (99 %) holds once the reference meets it
        model = reference_model({"reference": params.get("upper_model")}, reference)
        reached = float(model["evaluation"]["accuracy"]) >= float(cap)
        upper = float(cap) if reached else min(upper, float(cap))
    out = {"lower": min(lower, upper), "upper": max(lower, upper)}
    if isinstance(params.get("target"), (int, float)):
        out["target"] = float(params["target"])
    return out


@checks.register("accuracy_threshold", expect=_expect)
def accuracy_threshold(inp: CheckInput) -> CheckResult:
    """Test accuracy, measured by the grader: full marks from ``upper``, none below ``lower``.

    ``cap`` is a handout's target such as 99 %: it is ``upper`` when the reference
    model reaches it under the profile, and a ceiling otherwise. ``target`` is only
    reported, as the distance to a published result.
    """
    missing = inp.found.get("dataset_missing")
    if missing:
        return inp.skipped(f"Not measured: the instructor did not supply the `{missing}` data "
                           f"(`--data {missing}=PATH`).")
    if "unavailable" in inp.expected:
        return inp.skipped(f"Not measured: {inp.expected['unavailable']}; rebuild the reference "
                           "with `--data`.")
    if inp.found.get("model") is None:
        return no_model(inp)
    evaluation = inp.found.get("evaluation")
    lower, upper = float(inp.expected["lower"]), float(inp.expected["upper"])
    expected = f"at least {pct(upper)} for full marks (points from {pct(lower)})"
    n_test = (evaluation or {}).get("n_test", 10000)
    if not evaluation or evaluation.get("accuracy") is None:
        why = (evaluation or {}).get("error") or "the model could not be exported or loaded"
        return inp.failed(f"The grader could not measure your model's accuracy: {why}.",
                          expected=expected, found=why)
    acc = float(evaluation["accuracy"])
    found = f"{pct(acc)} on the {n_test:,} held-out test examples"
    target = inp.expected.get("target")
    if target is not None:
        label = str(inp.params.get("target_label") or "the target")
        side = "below" if acc < target else "above"
        found += f"; {100 * abs(target - acc):.2f} points {side} {label} ({pct(target)})"
    details = {"expected": expected, "found": found, "accuracy": acc, "lower": lower,
               "upper": upper}
    if acc >= upper:
        return inp.passed(f"Test accuracy {found}: full marks (needed {pct(upper)}).", **details)
    advice = str(inp.params.get("hint") or HINTS["accuracy_threshold"])  # said once, here
    if acc <= lower:
        # the starter's model, run as given, measures exactly where points start
        where = "below" if pct(acc) != pct(lower) else "no higher than"
        return inp.failed(
            f"Test accuracy {found}, {where} the {pct(lower)} where points start. {advice}",
            advice=advice, **details,
        )
    score = inp.max_score * (acc - lower) / (upper - lower)
    return inp.result(
        Outcome.PARTIAL, score,
        f"Test accuracy {found}: partial credit; {pct(upper)} earns full marks. {advice}",
        advice=advice, **details,
    )


SCALING_WORDS = {
    "unit": "pixels scaled to [0, 1]",
    "raw": "raw pixel values 0-255",
    "standard": "pixels standardised with one mean and standard deviation",
    "pixel_standard": "each pixel standardised with its own training mean and standard deviation",
}


def _expect_scaling(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    return {"scaling": str(params.get("scaling", "unit"))}


@checks.register("scaling_used", expect=_expect_scaling)
def scaling_used(inp: CheckInput) -> CheckResult:
    """The model works on inputs prepared as the assignment asks (found on training images)."""
    if inp.found.get("model") is None:
        return no_model(inp)
    want = inp.expected["scaling"]
    evaluation = inp.found.get("evaluation") or {}
    got = evaluation.get("scaling")
    expected = SCALING_WORDS.get(want, want)
    if got is None:
        return inp.failed("The grader could not run the model, so its input scaling is unknown.",
                          expected=expected, found="unknown")
    found = SCALING_WORDS.get(got, got)
    if got == want:
        return inp.passed(f"The model expects {found}, as asked.", expected=expected, found=found)
    return inp.failed(
        f"On training images the model is clearly more accurate with {found} than with "
        f"{expected}, so it was not trained on {expected} as the assignment asks. Run the "
        "notebook's preprocessing cell before training.",
        expected=expected, found=found,
    )
