"""The feedback a student's own notebook carries back: a first cell saying how it was graded.

For an LMS that hands back feedback as a file of the submission's own type (Canvas'
"re-upload submissions" shows the returned file under the submitted file's name), the
grader returns the notebook as it ran, the grader's own cells taken out, with one
Markdown cell on top: the score, each question, what the public checks said, and the
cells that failed. Drawn for students: hidden checks are only counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from papermill.execute import ERROR_MARKER_TAG

from grader.gradebook.result import awaits_marking
from grader.notebook import MAX_FILE_BYTES, is_injected
from grader.report.render import template
from grader.report.selfcheck import failed_cells, hidden_line, public_view, stopped_early

FEEDBACK_TAG = "grader-feedback"
OUTCOMES = {"skipped": "not graded"}


def feedback_context(result: Mapping[str, Any], title: str) -> dict[str, Any]:
    """What the feedback cell shows, as plain data."""
    questions = list(result.get("questions") or [])
    view = public_view(questions)
    rows = {row.id: row for row in view.rows}
    shown = []
    for q in questions:
        row = rows.get(q["id"])
        says = []
        if row is not None and row.outcome not in ("pass", "manual"):
            says += [row.message, *row.hints]
        if (q.get("override") or {}).get("comment"):
            says.append(f"Graded by hand: {q['override']['comment']}")
        outcome = q.get("outcome", "")
        if outcome == "manual":
            outcome = "graded by hand" if q.get("override") else "to be graded by hand"
        pending = awaits_marking(q)
        if pending:
            outcome = "to be graded by hand"
        shown.append({"title": q["title"], "outcome": OUTCOMES.get(outcome, outcome),
                      "score": q["score"], "points": q["points"], "says": says,
                      "pending": pending})
    execution = result.get("execution") or {}
    return {"r": result, "title": title, "questions": shown,
            "stopped": stopped_early(execution), "hidden": hidden_line(view),
            "failed": failed_cells(execution)}


def render_feedback_cell(result: Mapping[str, Any], title: str) -> str:
    """The Markdown of the feedback cell."""
    return template("feedback_cell.md.j2").render(**feedback_context(result, title))


def feedback_notebook(result: Mapping[str, Any], title: str) -> nbformat.NotebookNode:
    """The student's notebook as it ran, the grader's cells out, the feedback cell on top.

    A result with no executed notebook (not graded at all) gives the feedback cell alone.
    """
    executed = (result.get("execution") or {}).get("executed_path")
    path = Path(str(executed)) if executed else None
    nb, unread = nbformat.v4.new_notebook(), ""
    if path is not None and path.is_file() and path.stat().st_size <= 2 * MAX_FILE_BYTES:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # noqa: BLE001 - said in the cell; the feedback still goes
            unread = (f"\n\n(Your notebook as it ran could not be read back: "
                      f"{type(exc).__name__}.)")
        # the grader's cells, and the banner papermill puts above a failing cell
        nb.cells = [c for c in nb.cells if not is_injected(c)
                    and ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
        for cell in nb.cells:
            cell.metadata.pop("grader", None)
    cell = nbformat.v4.new_markdown_cell(render_feedback_cell(result, title) + unread)
    cell.metadata["tags"] = [FEEDBACK_TAG]
    if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
        del cell["id"]
    nb.cells.insert(0, cell)
    return nb
