"""Checks on what the notebook shows: confusion matrix, plots, written answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.hints import HINTS


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
    return inp.failed(f"No {n}×{n} confusion matrix found. {HINTS['confusion_matrix_present']}",
                      expected=expected, found="none")


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
    return inp.failed(f"Expected {expected}; found {found}. {HINTS['plots_present']}",
                      expected=expected, found=found)


def _where(answer: Mapping[str, Any]) -> str:
    """Where an answer was found, as a marker and the student read it."""
    cells = answer.get("cells") or [answer["cell"], answer["cell"]]
    span = f"cell {cells[0]}" if cells[0] == cells[-1] else f"cells {cells[0]}–{cells[-1]}"
    how = answer.get("how", "heading")
    if how == "guess":
        return f"located by guess: {span} (no label in the notebook names this question)"
    if how == "comments":
        return f"written as code comments in {span}"
    if how == "label" and answer.get("label"):
        return f"under its label `{answer['label']}` ({span})"
    return span


@checks.register("answer_present", needs_model=False)
def answer_present(inp: CheckInput) -> CheckResult:
    """A written answer exists; its points are given by hand, never automatically.

    An answer no label locates is never called missing while the notebook holds prose
    under no question's label: the marker reads those cells.
    """
    answer = inp.found.get("answer")
    prompt = str(inp.params.get("prompt", "this question"))
    expected = f"a written answer to: {prompt}"
    if answer and answer.get("text", "").strip():
        return inp.result(
            Outcome.MANUAL, 0.0,
            f"Answer found, {_where(answer)}; awaiting manual grade.",
            expected=expected, found=f"{len(answer['text'].split())} words",
            answer=answer["text"], cell=answer["cell"], how=answer.get("how", "heading"),
        )
    unlocated = list(inp.found.get("unlocated") or [])
    if unlocated:
        cells = ", ".join(str(c) for c in unlocated[:8]) + (" …" if len(unlocated) > 8 else "")
        return inp.result(
            Outcome.MANUAL, 0.0,
            f"No answer located by a label for this question; cells {cells} hold text under "
            "no question's label, which the marker reads.",
            expected=expected, found="not located", unlocated=unlocated)
    return inp.failed(f"No answer found to \u201c{prompt}\u201d. {HINTS['answer_present']}",
                      expected=expected, found="no answer")


@checks.register("errorbar_plot", needs_model=False)
def errorbar_plot(inp: CheckInput) -> CheckResult:
    """A figure shows a spread: error bars (``plt.errorbar``) or a band (``fill_between``)."""
    what = str(inp.params.get("what", "mean ± standard deviation"))
    expected = f"a figure of {what} (error bars or a shaded band)"
    figures = [f for f in inp.found.get("figures", [])
               if any(ax.get("errorbars", 0) or ax.get("fills", 0) for ax in f.get("axes", []))]
    if figures:
        f = figures[-1]
        log = any(ax.get("xscale") == "log" for ax in f.get("axes", []))
        found = f"figure {f['number']}" + (f" ({f['title']})" if f.get("title") else "")
        return inp.passed(f"Found {found}{', log-scaled x axis' if log else ''}.",
                          expected=expected, found=found)
    return inp.failed(f"No figure of {what} found. {HINTS['errorbar_plot']}",
                      expected=expected, found="none")


def _digit_images(figure: Mapping[str, Any], side: int) -> int:
    return sum(1 for s in _image_shapes(figure) if s[:2] == [side, side])


@checks.register("figure_in_section", needs_model=False)
def figure_in_section(inp: CheckInput) -> CheckResult:
    """A figure drawn by a code cell under the question's heading.

    With ``min_images``, the figure must hold that many ``side``×``side`` images (digits).
    """
    section = inp.found.get("section")
    what = str(inp.params.get("what", "a figure"))
    want = int(inp.params.get("min_images", 0))
    side = int(inp.params.get("side", 28))
    expected = (f"{what} drawn under the question's heading"
                + (f", with at least {want} {side}×{side} images" if want else ""))
    if not section:
        return inp.failed(f"The question's heading was not found, so no figure could be tied "
                          f"to it. Keep the starter's headings; expected {expected}.",
                          expected=expected, found="no heading")
    start, end = section["start"], section["end"]
    inside = [f for f in inp.found.get("figures", [])
              if isinstance(f.get("cell"), int) and start <= f["cell"] <= end]
    good = [f for f in inside if _digit_images(f, side) >= want]
    found = (f"{len(inside)} figure(s) in cells {start}-{end}"
             + (f", {len(good)} with {want}+ digit images" if want else ""))
    if good:
        return inp.passed(f"Found {what}: figure {good[-1]['number']} (cell {good[-1]['cell']}).",
                          expected=expected, found=found)
    how = " Show the digits with `plt.imshow`." if want else ""  # a curve is no image
    return inp.failed(f"Expected {expected}; found {found}. {HINTS['figure_in_section']}{how}",
                      expected=expected, found=found)
