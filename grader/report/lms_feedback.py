"""Each student's feedback, packed for an LMS to hand back: Moodle's and Canvas' zips.

A Moodle assignment with "Feedback files" on takes a zip of them ("Upload multiple
feedback files in a zip"). Its importer finds the student from each file's folder,
named as in its own download: ``<full name>_<participant id>_<plugin type>_<plugin name>``
(``mod/assign/feedback/file/importziplib.php``); the participant id decides, and the
plugin must be one the assignment has, here ``assignfeedback_file``.

Canvas' "re-upload submissions" takes a zip of files named as its download named the
submissions: the first two numbers between ``_`` are the student's user id and the
submitted file's id, and the returned file is shown as a comment under the submitted
file's own name (``app/models/assignment.rb``, ``infer_comment_context_from_filename``).
So each student gets back their own notebook, as it ran, with the feedback in a first
cell (:mod:`grader.report.feedback_cell`).

What is packed is always drawn for students (hidden checks only counted), whatever
audience the class's own reports were drawn for.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.files import written_whole
from grader.report.export import canvas_user_id
from grader.students import moodle_participant, roster_order

FOLDER = "{name}_{participant}_assignfeedback_file"
STAGE = "moodle_feedback"  # the student pages, kept beside the zip: drawn again only when changed


@dataclass(frozen=True)
class Packed:
    """What a feedback zip holds, and whom it had to leave out."""

    zip_path: Path | None  # None: no student's file came from that LMS's download
    students: int
    left_out: tuple[str, ...]  # their file names carry no id of that LMS


def feedback_name(pack_id: str, pdf: bool, suffix: str = "") -> str:
    """The file name a student finds among their feedback files."""
    return f"{pack_id}-feedback{suffix}.{'pdf' if pdf else 'html'}"


def as_graded_name(pack_id: str, suffix: str = "") -> str:
    """The file name of the student's notebook as the grader ran it, beside the report."""
    return f"{pack_id}-as-graded{suffix}.html"


@dataclass(frozen=True)
class _Entry:
    """One report to pack: whose, in which Moodle folder, under which names."""

    result: Mapping[str, Any]
    folder: str
    suffix: str  # "" or "-2", "-3": a second notebook of the same participant


def _entries(results: Sequence[Mapping[str, Any]]) -> tuple[list[_Entry], tuple[str, ...]]:
    """The reports to pack, by participant id, and the students without one."""
    found = [(r, moodle_participant(str(r["file"]))) for r in results]
    left_out = tuple(sorted((str(r["student"]) for r, who in found if who is None),
                           key=roster_order))
    entries: list[_Entry] = []
    seen: dict[str, int] = {}
    for r, who in sorted(((r, w) for r, w in found if w is not None),
                         key=lambda item: (int(item[1][1]), str(item[0]["student"]))):
        name, participant = who
        # Moodle splits the folder's name at "_": the name may not hold one
        folder = FOLDER.format(name=name.replace("_", " "), participant=participant)
        seen[folder] = n = seen.get(folder, 0) + 1
        entries.append(_Entry(r, folder, "" if n == 1 else f"-{n}"))
    return entries, left_out


def _handed_back(result: Mapping[str, Any], folder: Path, as_graded: str) -> dict[str, Any]:
    """The result as the handed-back report shows it: linking only what is handed back.

    The executed notebook's web page goes beside the report, as ``as_graded`` (the
    student sees where their notebook failed in the grader); the ``.ipynb`` and paths
    of the grader's machine are not linked.
    """
    execution = dict(result.get("execution") or {})
    if not execution:
        return dict(result)
    source = Path(str(execution.get("executed_html") or ""))
    target = folder / as_graded
    folder.mkdir(parents=True, exist_ok=True)
    if execution.get("executed_html") and source.is_file():
        shutil.copyfile(source, target)
        execution["executed_html"] = str(target)
    else:
        target.unlink(missing_ok=True)
        execution["executed_html"] = None
    execution["executed_path"] = None
    return {**result, "execution": execution}


def moodle_feedback_zip(results: Sequence[Mapping[str, Any]], out: Path, pack_id: str,
                        draw: Callable[[Mapping[str, Any], Path], Path],
                        print_pdfs: Callable[[list[Path]], None] | None) -> Packed:
    """Write ``out/moodle_feedback.zip``: each Moodle student's report in their folder.

    Beside the report goes the student's notebook as the grader ran it (a web page),
    which the report links to.

    Args:
        results: The class's results as reports show them.
        out: The export folder.
        pack_id: The assignment, in the feedback files' names.
        draw: Draws a student's page (``result``, ``page path``); returns the page.
        print_pdfs: Prints the drawn pages to the PDFs beside them; None: pack the HTML.
    """
    entries, left_out = _entries(results)
    if not entries:
        return Packed(None, 0, left_out)
    stage = out / STAGE
    pages = []
    for e in entries:
        where = stage / str(e.result["student"])
        shown = _handed_back(e.result, where, as_graded_name(pack_id, e.suffix))
        pages.append(draw(shown, where / "report.html"))
    if print_pdfs is not None:
        print_pdfs(pages)
    path = out / "moodle_feedback.zip"
    with _zip_to(path) as zf:
        pdf = print_pdfs is not None
        for e, page in zip(entries, pages, strict=True):
            report = page.with_suffix(".pdf") if pdf else page
            zf.write(report, f"{e.folder}/{feedback_name(pack_id, pdf, e.suffix)}")
            as_graded = page.with_name(as_graded_name(pack_id, e.suffix))
            if as_graded.is_file():
                zf.write(as_graded, f"{e.folder}/{as_graded.name}")
    return Packed(path, len(entries), left_out)


def canvas_feedback_zip(results: Sequence[Mapping[str, Any]], out: Path,
                        notebook: Callable[[Mapping[str, Any]], str]) -> Packed:
    """Write ``out/canvas_feedback.zip``: each Canvas student's notebook, with feedback.

    Args:
        results: The class's results as reports show them.
        out: The export folder.
        notebook: The notebook handed back for a result, as nbformat JSON.
    """
    named = [(r, Path(str(r["file"])).name) for r in results]
    left_out = tuple(sorted((str(r["student"]) for r, name in named if not canvas_user_id(name)),
                           key=roster_order))
    todo = sorted(((r, name) for r, name in named if canvas_user_id(name)),
                  key=lambda item: item[1])
    if not todo:
        return Packed(None, 0, left_out)
    path = out / "canvas_feedback.zip"
    with _zip_to(path) as zf:
        for r, name in todo:
            zf.writestr(name, notebook(r))
    return Packed(path, len(todo), left_out)


@contextmanager
def _zip_to(path: Path) -> Iterator[zipfile.ZipFile]:
    """A zip written beside ``path`` that replaces it only once whole (none left if it fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        yield zf
