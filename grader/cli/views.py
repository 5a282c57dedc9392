"""What the ``grader`` command prints: a class's closing table, a student's checks.

Each function returns rich renderables; :mod:`grader.cli.main` prints them.
"""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.gradebook.result import Result
from grader.gradebook.store import grader_failed
from grader.report.selfcheck import View, failed_cells, hidden_line, raised_cells, stopped_early
from grader.students import roster_order

if TYPE_CHECKING:
    from grader.batch.options import BatchOutcome
    from grader.batch.plan import Sorted

MARK_COLOURS = {"✔": "green", "✎": "magenta", "–": "dim", "✘": "red"}
FULL_TABLE_ROWS = 40  # a larger class gets the spread of its scores, not a row each


def results_table(results: Sequence[Result], title: str) -> Table:
    """Each student's score and run; for a large class, the spread and who needs a look.

    Who needs a look: the submissions in error and those that stopped early. Every
    score is in ``grades.csv`` and the summary page either way.
    """
    results = sorted(results, key=lambda r: roster_order(r["student"]))
    table = Table(title=title)
    if len(results) <= FULL_TABLE_ROWS:
        notes = [run_note(r) for r in results]
        for col in ("student", "status", "score", *(["run"] if any(notes) else [])):
            table.add_column(col)
        for r, note in zip(results, notes, strict=True):
            # the note may quote a notebook's own text: shown as text, never as markup
            table.add_row(r["student"], r["status"], f"{r['score']:g} / {r['max_score']:g}",
                          *([Text(note)] if any(notes) else []))
        return table
    table.add_column("")
    table.add_column(f"{len(results)} submissions")
    graded = [r for r in results if r["status"] != "error"]
    errors = [r["student"] for r in results if r["status"] == "error"]
    table.add_row("graded", str(len(graded)))
    if graded:
        scores = sorted(r["score"] for r in graded)
        top = max(r["max_score"] for r in graded)
        middle = statistics.median(scores)
        table.add_row("score", f"median {middle:g}, mean {statistics.fmean(scores):.2f}, "
                               f"lowest {scores[0]:g}, highest {scores[-1]:g} (of {top:g})")
    table.add_row("in error", _count(errors))
    stopped = [r["student"] for r in graded if _stopped(r.get("execution") or {})]
    if stopped:
        table.add_row("stopped early", _count(stopped))
    return table


def _count(students: list[str], names: int = 20) -> str:
    """How many, and the first ``names`` of them."""
    return f"{len(students)}: {first_names(students, names)}" if students else "0"


def first_names(students: list[str], names: int) -> str:
    """The first ``names`` of ``students``, and how many more there are."""
    more = f" and {len(students) - names} more" if len(students) > names else ""
    return ", ".join(students[:names]) + more


def _stopped(execution: Mapping[str, Any]) -> str | None:
    """Where a run stopped before its end, if it did."""
    if execution.get("kernel_died_in") is not None:
        return f"kernel died in cell {execution['kernel_died_in']}"
    return "past its time limit" if execution.get("deadline_hit") else None


def run_note(result: Mapping[str, Any]) -> str:
    """How a notebook's run went, when not plainly: where it stopped, cells that raised.

    For a submission in error: why, shortened, and whether the next run tries it again.
    """
    if result.get("status") == "error":
        why = str(result.get("error") or "").removeprefix(f"{result.get('file')}: ")
        again = "the grader failed, not the notebook: the next run tries again"
        parts = [textwrap.shorten(why, 70, placeholder=" …"),
                 again if grader_failed(result) else ""]
        return "; ".join(p for p in parts if p)
    execution = result.get("execution") or {}
    raised = len(raised_cells(execution))
    notes = [_stopped(execution), f"{raised} cell(s) raised" if raised else None]
    return ", ".join(n for n in notes if n)


def student_view(view: View, title: str, compat: list[dict[str, Any]] | None = None,
                 execution: Mapping[str, Any] | None = None) -> list[RenderableType]:
    """A student's public checks as a table, then what else they should know.

    That is: how many checks are hidden, why the notebook stopped early, each cell that
    raised, and the old Keras spellings the grader translated (they cost nothing).
    """
    table = Table(title=f"{title} — {view.score:g} / {view.max_score:g}", show_lines=True)
    for col in ("", "question", "points", "what the grader found"):
        table.add_column(col, overflow="fold")
    for row in view.rows:
        text = escape(row.message) + "".join(f"\n[bold]→ {escape(h)}[/]" for h in row.hints)
        table.add_row(f"[{MARK_COLOURS[row.mark]}]{row.mark}[/]", escape(row.title),
                      f"{row.score:g}/{row.points:g}", text)
    out: list[RenderableType] = [table]
    line = hidden_line(view)
    if line:
        out.append(Text(line, style="dim"))
    stopped = stopped_early(execution or {})
    if stopped:
        out.append(Text.from_markup(f"[bold red]stopped early:[/] {escape(stopped)}"))
    for cell in failed_cells(execution or {}):
        out.append(Text.from_markup(f"[red]failed[/] {escape(cell.line)}"))
        if cell.advice:
            out.append(Padding(Text(f"→ {cell.advice}", style="bold"), (0, 0, 0, 2)))
    out += [Text.from_markup(
        f"[yellow]old Keras spelling[/] cell {shim.get('cell') or '?'}, line "
        f"{shim.get('line') or '?'}: {escape(str(shim.get('code')))} → "
        f"{escape(str(shim.get('modern')))}") for shim in compat or []]
    return out


def not_graded(result: Mapping[str, Any], report: Path) -> Text:
    """What ``grader check`` tells a student whose notebook could not be graded."""
    text = Text.assemble(("not graded:", "bold red"), f" {result.get('error')}\n")
    if grader_failed(result):
        text.append("This is the grader failing, not your notebook: run the same command "
                    "again. If it fails again, send your instructor this report.\n")
    return text.append(f"report: {report}")


def closing_line(outcome: BatchOutcome, summary: Path) -> Text:
    """What ``grader grade`` did: new and reused results, graded and in error, where to look."""
    why = [f"{outcome.rechecked} from their stored run: unchanged notebooks, only the "
           "checks changed" if outcome.rechecked else "",
           f"{outcome.retried} unchanged but graded again: the grader had failed on them"
           if outcome.retried else ""]
    why_text = "; ".join(w for w in why if w)
    failed = sum(grader_failed(r) for r in outcome.results)
    errors = (f"{outcome.errors} in error" + (f" ({failed} the grader's own failure: the "
              "next run grades them again)" if failed else ""))
    graded = len(outcome.results) - outcome.errors
    return Text(f"{outcome.new_results} new result(s){f' ({why_text})' if why_text else ''}, "
                f"{outcome.cached} unchanged (cached): {graded} graded, {errors}. "
                f"Reports: {summary}")


def dry_run_view(plan: Sorted, out: Path) -> Text:
    """What ``grader grade --dry-run`` found: who would run and why, who is checked again."""
    from grader.batch.plan import WHY

    lines = [f"dry run: nothing was run or written ({out})"]
    if plan.run:
        lines.append(f"  would run {len(plan.run)} notebook(s):")
        lines += [f"    {len(plan.running(why))} {WHY[why]}: {first_names(plan.running(why), 5)}"
                  for why in WHY if plan.running(why)]
    if plan.again:
        again = [student for _, student, _ in plan.again]
        lines.append(f"  would check {len(again)} again from their stored runs, without "
                     "running them (the notebooks and what their kernels see are unchanged): "
                     f"{first_names(again, 5)}")
    if plan.reused:
        lines.append(f"  {len(plan.reused)} stand as graded: nothing changed")
    if not (plan.run or plan.again):
        lines.append("  nothing to grade: the same command would only write the outputs again")
    return Text("\n".join(lines))
