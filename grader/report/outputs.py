"""The class's outputs, from the gradebook: reports, the summary and ``grades.csv``.

Nothing here executes a notebook; the newest run of each student is shown with the
instructor's manual grades and the late rule applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.errors import GradebookError
from grader.gradebook.late import apply_late
from grader.gradebook.overrides import apply_overrides, rubrics_of
from grader.gradebook.roster import Matched, match, read_roster
from grader.gradebook.store import GRADEBOOK, Gradebook
from grader.machine import available_memory, usable_cpus
from grader.report import render_summary, write_grades_csv
from grader.report.lms_feedback import Packed, canvas_feedback_zip, moodle_feedback_zip
from grader.report.pages import Pages, drawn_for, print_pdfs

PDF_PROCESS_MEMORY = 512 << 20  # what one printing process may take, with room to spare


def student_result(book: Gradebook, pack: Pack, result: Mapping[str, Any],
                   times: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """A result as reports show it: manual grades and the late rule applied, runs counted."""
    return _as_reported(result, book.overrides(pack.id), book.runs(pack.id), pack, times,
                        rubrics_of(pack.spec, book.rubric_items(pack.id)))


def class_results(book: Gradebook, pack: Pack,
                  times: Mapping[str, datetime] | None = None) -> list[dict[str, Any]]:
    """The newest result of every student with manual grades and the late rule applied.

    ``times`` are submission times from an instructor's file; without one, a
    notebook's file time (recorded when it was graded) is its submission time.
    """
    overrides, runs = book.overrides(pack.id), book.runs(pack.id)
    rubrics = rubrics_of(pack.spec, book.rubric_items(pack.id))
    return [_as_reported(r, overrides, runs, pack, times, rubrics) for r in book.latest(pack.id)]


def _as_reported(result: Mapping[str, Any], overrides: Sequence[Any], runs: Mapping[str, int],
                 pack: Pack, times: Mapping[str, datetime] | None,
                 rubrics: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return apply_late(apply_overrides(dict(result), overrides, rubrics), pack.spec.late,
                      times or {}) | {"runs": runs.get(result["student"], 1)}


def open_gradebook(out_dir: Path) -> Gradebook:
    """The gradebook of an output folder that was graded before, with a clear error if none."""
    path = Path(out_dir) / GRADEBOOK
    if not path.is_file():
        raise GradebookError("no gradebook here: grade the class first (`grader grade`)",
                             path=path)
    return Gradebook(path)


def write_outputs(book: Gradebook, pack: Pack, expected: Mapping[str, Any], out_dir: Path,
                  audience: str = "student", pdf: bool = True,
                  times: Mapping[str, datetime] | None = None) -> list[dict[str, Any]]:
    """Write ``grades.csv``, every student's report (HTML, and PDF) and the class summary.

    Everything comes from the gradebook: the newest run of each student with the
    instructor's manual grades applied. Nothing is executed. A student's report that
    is current (see :class:`Pages`: a batch wrote it as the student finished, or an
    earlier run did from the same data) is not drawn again.
    """
    results = class_results(book, pack, times)
    questions = [{"id": q.id, "title": q.title, "points": q.points} for q in pack.spec.questions]
    write_grades_csv(results, [q["id"] for q in questions], out_dir / "grades.csv")
    pages = Pages(expected, audience, pack.spec.show_reference)
    students = [pages.html(r, out_dir / r["student"] / "report.html") for r in results]
    summary = render_summary(results, pack.spec.title, questions, pack.spec.max_score,
                             out_dir / "summary.html")
    if pdf:
        print_pdfs([*students, summary], pdf_processes())
    return results


def rewrite_students(book: Gradebook, pack: Pack, out_dir: Path,
                     students: Sequence[str]) -> list[dict[str, Any]]:
    """Draw again the reports of ``students`` and ``grades.csv``, after marks changed.

    Each report keeps the audience it was drawn for; its PDF, now out of date, is
    removed (``grader report`` prints it again). Returns the class's results.
    """
    results = class_results(book, pack)
    questions = [q.id for q in pack.spec.questions]
    write_grades_csv(results, questions, out_dir / "grades.csv")
    wanted = set(students)
    for result in results:
        if result["student"] not in wanted:
            continue
        page = out_dir / result["student"] / "report.html"
        expected = pack.expected(result["profile"]) if result.get("profile") else {}
        Pages(expected, drawn_for(page), pack.spec.show_reference).html(result, page)
    return results


def roster_grades(results: Sequence[Mapping[str, Any]], pack: Pack, out_dir: Path,
                  roster: Path, missing: str) -> Matched:
    """``grades.csv`` and the class summary again with the class list.

    ``grades.csv`` gets a row for each student without a submission, by ``missing``:
    ``zero`` (0 points), ``empty`` (no grade) or ``omit`` (none); the summary lists
    them whatever ``missing`` says. Returns how the submissions matched the list
    (:class:`grader.gradebook.roster.Matched`).
    """
    from grader.report.export import with_roster

    matched = match(results, read_roster(roster))
    rows = with_roster(results, matched, missing, pack.spec.max_score)
    write_grades_csv(rows, [q.id for q in pack.spec.questions], out_dir / "grades.csv")
    summary = write_summary(results, pack, out_dir, [m.key for m in matched.missing])
    if summary.with_suffix(".pdf").exists():  # printed before the list was read: again
        print_pdfs([summary])
    return matched


def write_summary(results: Sequence[Mapping[str, Any]], pack: Pack, out_dir: Path,
                  absent: Sequence[str] = ()) -> Path:
    """The class summary page, from results as reported (``absent``: nothing handed in)."""
    questions = [{"id": q.id, "title": q.title, "points": q.points} for q in pack.spec.questions]
    return render_summary(results, pack.spec.title, questions, pack.spec.max_score,
                          out_dir / "summary.html", absent)


def pdf_processes() -> int:
    """How many pages to print at once: one process per core, as memory allows.

    WeasyPrint takes most of a second a page, in Python.
    """
    memory = available_memory()
    by_memory = memory // PDF_PROCESS_MEMORY if memory else usable_cpus()
    return max(1, min(usable_cpus(), by_memory))


def moodle_feedback(results: Sequence[Mapping[str, Any]], pack: Pack, out: Path,
                    pdf: bool = True) -> Packed:
    """The class's reports as Moodle's feedback files zip, under the export folder ``out``.

    Drawn for students, whatever audience the class's reports had (see
    :mod:`grader.report.lms_feedback`).
    """
    profile = next((r["profile"] for r in results if r.get("profile")), None)
    pages = Pages(pack.expected(profile) if profile else {}, "student",
                  pack.spec.show_reference)
    return moodle_feedback_zip(results, out, pack.id, pages.html,
                               (lambda p: print_pdfs(p, pdf_processes())) if pdf else None)


def canvas_feedback(results: Sequence[Mapping[str, Any]], pack: Pack, out: Path) -> Packed:
    """Each student's notebook as it ran, feedback on top, as Canvas' re-upload zip.

    See :mod:`grader.report.lms_feedback`; drawn for students, under the export folder ``out``.
    """
    import nbformat

    from grader.report.feedback_cell import feedback_notebook

    return canvas_feedback_zip(
        results, out, lambda r: nbformat.writes(feedback_notebook(r, pack.spec.title)))
