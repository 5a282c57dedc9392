"""What a student sees when they check their work: public checks in full, hidden ones counted.

Shared by ``grader check`` (terminal) and ``grader.check()`` (inside a notebook), so
both say exactly what the report says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grader.checks.base import question_outcome
from grader.errors import KERNEL_DIED
from grader.report.cell_advice import advise_once

FAILING = ("fail", "partial", "error")
MARKS = {"pass": "✔", "manual": "✎", "skipped": "–"}


@dataclass
class Row:
    """One question as a student sees it."""

    id: str
    title: str
    outcome: str
    score: float
    points: float
    message: str
    hints: list[str] = field(default_factory=list)

    @property
    def mark(self) -> str:
        """✔, ✎ (awaiting a manual grade), – (skipped) or ✘."""
        return MARKS.get(self.outcome, "✘")


@dataclass
class View:
    """The public part of a result, and how much is hidden."""

    rows: list[Row]
    score: float
    max_score: float
    hidden_checks: int
    hidden_points: float

    @property
    def failed(self) -> bool:
        """Whether a public check failed (what makes ``grader check`` exit non-zero)."""
        return any(r.outcome in FAILING for r in self.rows)


def hint_to_show(check: Mapping[str, Any]) -> str | None:
    """A check's hint, where it lost points and its message does not already say it."""
    hint = str(check.get("hint") or "").strip()
    if check.get("outcome") not in FAILING or not hint:
        return None
    said = " ".join(str(check.get("message") or "").split()).casefold()
    return None if " ".join(hint.rstrip(".").split()).casefold() in said else hint


def stopped_early(execution: Mapping[str, Any]) -> str | None:
    """Why the notebook did not run to its end: the report's first line, and the terminal's."""
    died = execution.get("kernel_died_in")
    if died is not None:
        why = next((f.get("evalue") for f in execution.get("failures", [])
                    if f.get("cell") == died), None) or "the kernel died"
        # the probe runs in the kernel after the last cell: with it gone, no model is read
        return (f"Your notebook stopped in cell {died}: {why}. The cells after it did not "
                "run, and the models it had built were lost with its kernel: only its "
                "written answers and the figures drawn before then could be graded.")
    if execution.get("deadline_hit"):
        return (f"Your notebook ran past its time limit: its last "
                f"{execution.get('cells_skipped', 0)} code cell(s) were skipped, so only "
                "what the cells before them made could be graded.")
    return None


def raised_cells(execution: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The failures of cells that raised: not the cell a kernel died in (said by stopped_early)."""
    return [f for f in execution.get("failures", []) if f.get("ename") != KERNEL_DIED]


@dataclass(frozen=True)
class FailedCell:
    """A cell that raised, as the terminal shows it: one short line, and what to change."""

    line: str
    advice: str | None = None


def failed_cells(execution: Mapping[str, Any], limit: int = 5) -> list[FailedCell]:
    """The cells that raised, a line each (``limit`` of them, then a line with the count).

    A failure that only the grader's setting causes (no network, no Colab) carries what
    to change, at the first cell it fits.
    """
    cells = []
    raised = raised_cells(execution)
    for f, advice in zip(raised, advise_once(raised), strict=True):
        evalue = " ".join(str(f.get("evalue") or "").split())[:160]
        line = f"cell {f.get('cell')}: {f.get('ename')}" + (f": {evalue}" if evalue else "")
        cells.append(FailedCell(line, advice))
    if len(cells) > limit:
        cells = [*cells[:limit], FailedCell(f"and {len(cells) - limit} more (see the report)")]
    return cells


def _hidden(check: Mapping[str, Any]) -> bool:
    return not check.get("public", True) or bool(check.get("details", {}).get("hidden"))


def public_view(questions: Iterable[Mapping[str, Any]]) -> View:
    """Rows for the public checks of ``questions`` (a result's), hidden ones only counted."""
    rows, hidden, hidden_points = [], 0, 0.0
    for q in questions:
        shown = [c for c in q["checks"] if not _hidden(c)]
        for c in q["checks"]:
            if _hidden(c):
                hidden += 1
                hidden_points += float(c.get("details", {}).get("points") or c["max_score"])
        if not shown:
            continue
        failing = [c for c in shown if c["outcome"] in FAILING]
        # checks that failed for one reason (no model to grade) say it once
        message = " ".join(dict.fromkeys(c["message"] for c in failing)) or " ".join(
            dict.fromkeys(c["message"] for c in shown if c["outcome"] != "pass")
        ) or shown[0]["message"]
        rows.append(Row(q["id"], q["title"],
                        question_outcome([c["outcome"] for c in shown],
                                         any(c["score"] > 0 for c in shown)),
                        round(sum(c["score"] for c in shown), 2),
                        round(sum(c["max_score"] for c in shown), 2), message,
                        [h for h in map(hint_to_show, failing) if h]))
    return View(rows, round(sum(r.score for r in rows), 2),
                round(sum(r.points for r in rows), 2), hidden, round(hidden_points, 2))


def hidden_line(view: View) -> str | None:
    """The one line saying hidden checks exist, if they do."""
    if not view.hidden_checks:
        return None
    return (f"{view.hidden_checks} hidden check(s) worth {view.hidden_points:g} point(s) are not "
            "shown: your instructor's grader runs them.")
