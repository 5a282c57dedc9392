"""Checks on functions the student wrote, as the probe called them in the kernel."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.params import no_model
from grader.errors import CheckError
from grader.text import pct


def _expect_values(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("function")
    values = reference.get("functions", {}).get(name)
    if values is None:
        raise CheckError(f"the reference defines no function {name!r}", check="function")
    return {"values": values}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@checks.register("function_values", expect=_expect_values, needs_model=False)
def function_values(inp: CheckInput) -> CheckResult:
    """The student's function returns the reference's values for the spec's arguments."""
    name = str(inp.params["function"])
    rows = {repr(r["arg"]): r for r in inp.found.get("calls", {}).get(name, [])}
    expected_rows = inp.expected["values"]
    shown = ", ".join(f"{name}({r['arg']!r}) = {r['value']!r}" for r in expected_rows)
    advice = str(inp.params.get("hint") or "")
    if not rows or all("error" in r and "no function" in r["error"] for r in rows.values()):
        return inp.failed(f"No function `{name}` found. Define it in the notebook. {advice}",
                          expected=shown, found="no function")
    wrong = []
    for want in expected_rows:
        got = rows.get(repr(want["arg"]), {"error": "not called"})
        if "error" in got:
            wrong.append(f"{name}({want['arg']!r}) raised {got['error']}")
        elif not _same(got["value"], want["value"]):
            wrong.append(f"{name}({want['arg']!r}) returned {got['value']!r}, "
                         f"expected {want['value']!r}")
    found = f"{len(expected_rows) - len(wrong)} of {len(expected_rows)} values right"
    if not wrong:
        return inp.passed(f"`{name}` gives the expected values: {shown}.", expected=shown,
                          found=found)
    return inp.failed(f"{'; '.join(wrong[:2])}. {advice}", expected=shown, found=found)


def _spread(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-4) / max(n, 1))


@checks.register("apply_agrees")
def apply_agrees(inp: CheckInput) -> CheckResult:
    """The student's ``apply()`` on the example PNGs agrees with the grader's run of the model."""
    if inp.found.get("model") is None:
        return no_model(inp)
    name = str(inp.params.get("function", "apply"))
    sets = (inp.found.get("evaluation") or {}).get("image_sets") or {}
    examples, own = sets.get("examples"), sets.get("own")
    test_acc = (inp.found.get("evaluation") or {}).get("accuracy")
    if not examples or test_acc is None:
        return inp.failed("The grader could not run the model on the example images.",
                          expected="apply() on the example PNGs", found="no measurement")
    calls = {r["arg"]: r for r in inp.found.get("calls", {}).get(name, [])}
    if not calls or all("no function" in r.get("error", "") for r in calls.values()):
        return inp.failed(f"No `{name}(filename)` function found: write one that loads a PNG and "
                          "returns the predicted digit.", expected=f"{name}() defined",
                          found="none")
    n = len(examples["files"])
    agree = right = 0
    errors = []
    for f, grader_pred, label in zip(examples["files"], examples["predictions"],
                                     examples["labels"], strict=True):
        row = calls.get(f, {"error": "not called"})
        if "error" in row:
            errors.append(f"{f}: {row['error']}")
            continue
        try:
            value = int(row["value"])
        except (TypeError, ValueError):
            errors.append(f"{f}: returned {row['value']!r}, not a digit")
            continue
        agree += value == grader_pred
        right += value == label
    p_apply = right / n
    own_text = f"; the grader's own {len(own['files'])} PNGs: {100 * own['accuracy']:.1f} %" \
        if own else ""
    summary = (f"{name}() on the {n} example PNGs: {right}/{n} right ({100 * p_apply:.0f} %), "
               f"the same digit as the grader's run of the model on {agree}/{n}{own_text}; "
               f"test set: {pct(test_acc)}")
    close = abs(p_apply - test_acc) <= 2 * _spread(test_acc, n)
    verdict = ("these agree within what 20 images can tell" if close else
               "the example estimate is further from the test accuracy than 20 images explain")
    details = {"expected": f"{name}() agrees with the model on the example PNGs",
               "found": summary, "apply_accuracy": p_apply, "agreement": agree / n}
    if errors:
        details["errors"] = errors[:5]
    if agree / n >= float(inp.params.get("min_agreement", 0.9)):
        return inp.passed(f"{summary}: {verdict}.", **details)
    advice = ("Load the PNG as greyscale (white digit on black), scale it exactly as the "
              "training images and reshape it to the model's input shape before `predict`.")
    score = inp.max_score * agree / n / 2
    return inp.result(Outcome.PARTIAL if score > 0 else Outcome.FAIL, score,
                      f"{summary}. {advice}" + (f" First error: {errors[0]}" if errors else ""),
                      advice=advice, **details)
