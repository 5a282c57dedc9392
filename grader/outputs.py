"""The class's outputs, from the gradebook: reports, the summary and ``grades.csv``.

Nothing here executes a notebook; the newest run of each student is shown with the
instructor's manual grades and the late rule applied.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import grader
from grader.errors import GradebookError
from grader.gradebook import Gradebook
from grader.late import apply_late
from grader.overrides import apply_overrides
from grader.pack import Pack
from grader.report import render_student, render_summary, write_grades_csv
from grader.report.pdf import write_pdf
from grader.report.render import templates_dir

GRADEBOOK = "gradebook.sqlite"


def student_result(book: Gradebook, pack: Pack, result: Mapping[str, Any],
                   times: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """A result as reports show it: manual grades and the late rule applied, runs counted."""
    return _as_reported(result, book.overrides(pack.id), book.runs(pack.id), pack, times)


def class_results(book: Gradebook, pack: Pack,
                  times: Mapping[str, datetime] | None = None) -> list[dict[str, Any]]:
    """The newest result of every student with manual grades and the late rule applied.

    ``times`` are submission times from an instructor's file; without one, a
    notebook's file time (recorded when it was graded) is its submission time.
    """
    overrides, runs = book.overrides(pack.id), book.runs(pack.id)
    return [_as_reported(r, overrides, runs, pack, times) for r in book.latest(pack.id)]


def _as_reported(result: Mapping[str, Any], overrides: Sequence[Any], runs: Mapping[str, int],
                 pack: Pack, times: Mapping[str, datetime] | None) -> dict[str, Any]:
    return apply_late(apply_overrides(dict(result), overrides), pack.spec.late,
                      times or {}) | {"runs": runs.get(result["student"], 1)}


def open_gradebook(out_dir: Path) -> Gradebook:
    """The gradebook of an output folder that was graded before, with a clear error if none."""
    path = Path(out_dir) / GRADEBOOK
    if not path.is_file():
        raise GradebookError("no gradebook here: grade the class first (`grader grade`)",
                             path=path)
    return Gradebook(path)


class Pages:
    """Students' report pages, each drawn again (HTML, then PDF) only when what it shows changed.

    A page's key hashes the result it shows, the expected results, the audience, and the
    code and templates that draw it; it is kept beside the page. Grading a class again
    with nothing changed for a student rewrites neither their page nor their PDF.
    """

    def __init__(self, expected: Mapping[str, Any], audience: str) -> None:
        self.expected, self.audience = expected, audience
        h = hashlib.sha256(json.dumps({"expected": expected, "audience": audience,
                                       "grader": grader.__version__},
                                      sort_keys=True, default=str).encode())
        drawing = [*(Path(grader.__file__).parent / "report").glob("*.py"),
                   *templates_dir().rglob("*")]
        for path in sorted(p for p in drawing if p.is_file()):
            h.update(path.name.encode() + path.read_bytes())
        self._base = h.hexdigest()

    def html(self, result: Mapping[str, Any], page: Path) -> Path:
        """The student's HTML report at ``page``, rendered unless the one there is current.

        A page drawn again loses its old PDF, which showed the page before.
        """
        key = hashlib.sha256((self._base + json.dumps(result, sort_keys=True, default=str))
                             .encode()).hexdigest()
        if page.is_file() and _made(page).get("key") == key:
            return page
        render_student(result, self.expected, page, self.audience)
        page.with_suffix(".pdf").unlink(missing_ok=True)
        _record(page, {"key": key, "pdf": False})
        return page

    def pdf(self, page: Path) -> Path:
        """The PDF of a page :meth:`html` wrote, printed unless it is already there."""
        made, pdf = _made(page), page.with_suffix(".pdf")
        if not (made.get("pdf") and pdf.is_file()):
            write_pdf(page, pdf)
            _record(page, made | {"pdf": True})
        return pdf


def _key_file(page: Path) -> Path:
    return page.with_name(f".{page.name}.key")


def _made(page: Path) -> dict[str, Any]:
    """What the key file beside ``page`` says it was made from (empty: unknown)."""
    try:
        made = json.loads(_key_file(page).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return made if isinstance(made, dict) else {}


def _record(page: Path, made: Mapping[str, Any]) -> None:
    tmp = _key_file(page).with_suffix(".tmp")
    tmp.write_text(json.dumps(made), encoding="utf-8")
    os.replace(tmp, _key_file(page))


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
    pages = Pages(expected, audience)
    students = [pages.html(r, out_dir / r["student"] / "report.html") for r in results]
    summary = render_summary(results, pack.spec.title, questions, pack.spec.max_score,
                             out_dir / "summary.html")
    if pdf:
        for page in students:
            pages.pdf(page)
        write_pdf(summary)
    return results
