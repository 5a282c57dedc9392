"""Checks on what the notebook shows: confusion matrix, plots, written answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks


def _image_shapes(figure: Mapping[str, Any]) -> list[list[int]]:
    return [list(s) for ax in figure.get("axes", []) for s in ax.get("images", [])]


@checks.register("confusion_matrix_present", needs_model=False)
def confusion_matrix_present(inp: CheckInput) -> CheckResult:
    """The notebook computed a 10×10 confusion matrix (as an array or a drawn matrix)."""
    n = int(inp.params.get("classes", 10))
    expected = f"a {n}×{n} confusion matrix (an array, or a figure of one)"
    arrays = [a["path"] for a in inp.found.get("arrays", []) if list(a["shape"]) == [n, n]]
    drawn = [f"figure {f['number']}" for f in inp.found.get("figures", [])
             if [n, n] in _image_shapes(f)]
    where = arrays + drawn
    if where:
        return inp.passed(f"Confusion matrix found: {', '.join(where[:3])}.",
                          expected=expected, found=", ".join(where))
    return inp.failed(
        f"No {n}×{n} confusion matrix found. Compute one from `model.predict` on the test set "
        "(e.g. `sklearn.metrics.confusion_matrix` or `tf.math.confusion_matrix`) and keep or "
        "plot it.", expected=expected, found="none",
    )


def _is_curve_figure(figure: Mapping[str, Any], min_points: int) -> bool:
    return any(n >= min_points for ax in figure.get("axes", []) for n in ax.get("line_points", []))


@checks.register("plots_present", needs_model=False)
def plots_present(inp: CheckInput) -> CheckResult:
    """At least ``min_figures`` figures with curves (lines of ``min_points`` or more)."""
    want = int(inp.params.get("min_figures", 1))
    min_points = int(inp.params.get("min_points", 2))
    what = str(inp.params.get("what", "training curves (loss/accuracy per epoch)"))
    curves = [f for f in inp.found.get("figures", []) if _is_curve_figure(f, min_points)]
    expected = f"{want} figure{'s' * (want != 1)} of {what}"
    found = f"{len(curves)} such figure{'s' * (len(curves) != 1)}"
    titles = [f.get("title") for f in curves if f.get("title")]
    if len(curves) >= want:
        named = f" ({'; '.join(titles[:3])})" if titles else ""
        return inp.passed(f"Found {found}{named}.", expected=expected, found=found)
    return inp.failed(
        f"Expected {expected}; found {found}. Plot `history.history['loss']` and "
        "`history.history['val_loss']` (and accuracy) with matplotlib.",
        expected=expected, found=found,
    )


@checks.register("answer_present", needs_model=False)
def answer_present(inp: CheckInput) -> CheckResult:
    """A written answer exists; its points are given by hand, never automatically."""
    answer = inp.found.get("answer")
    prompt = str(inp.params.get("prompt", "this question"))
    expected = f"a written answer to: {prompt}"
    if answer and answer.get("text", "").strip():
        return inp.result(
            Outcome.MANUAL, 0.0,
            f"Answer found (cell {answer['cell']}); awaiting manual grade.",
            expected=expected, found=f"{len(answer['text'].split())} words",
            answer=answer["text"], cell=answer["cell"],
        )
    return inp.failed(
        f"No answer found to \u201c{prompt}\u201d. Write it in a Markdown cell below the "
        "question's heading.", expected=expected, found="no answer",
    )
