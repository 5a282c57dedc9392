"""Which notebooks a batch grades, and the student id each one gets.

A folder as an LMS download unpacks (one folder per student, or all in one), or one
notebook; zips are unpacked first (:mod:`grader.batch.archive`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from pathlib import Path

from grader.errors import GraderError
from grader.students import assign_ids, never_submitted, roster_order

# what the grader writes in a student's output folder: the kernel's log as soon as its
# kernel starts (kernels.KERNEL_LOG, not imported here: it imports jupyter_client), the
# result at the end; a folder graded into itself is not submissions
GRADER_OUTPUT = ("kernel.log", "result.json")


def discover(folder: Path) -> list[Path]:
    """The notebooks to grade: every ``*.ipynb`` in ``folder`` or in a folder inside it.

    LMS downloads put each student's files in a folder of their own (Moodle) or all in
    one (Canvas); either is found. Left out: hidden files and folders (Jupyter's
    ``.ipynb_checkpoints``), macOS' ``__MACOSX`` and ``._*`` files from unzipping, and
    the grader's own output folders (:data:`GRADER_OUTPUT` beside the notebook).
    ``folder`` may also be one notebook.
    """
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise GraderError("no such folder of submissions", path=folder)

    def notebooks(where: Path) -> list[Path]:
        return [p for p in where.glob("*.ipynb") if p.is_file() and not never_submitted(p.name)]

    found = notebooks(folder)
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not never_submitted(p.name)):
        if not any((sub / name).exists() for name in GRADER_OUTPUT):
            found += notebooks(sub)
    return sorted(found)


def submissions(paths: Iterable[Path], root: Path | None = None) -> list[tuple[Path, str]]:
    """Each notebook (its path resolved) with the student id its report and grades get."""
    return assign_ids((Path(p).resolve() for p in paths), Path(root).resolve() if root else None)


def check_regrade(regrade: Collection[str], students: Collection[str]) -> None:
    """Refuse ``--regrade`` ids that no submission of the batch has, naming the nearest ids.

    Raises:
        GraderError: for the first unknown id (in class-list order).
    """
    unknown = sorted(set(regrade) - set(students), key=roster_order)
    if not unknown:
        return
    near = difflib.get_close_matches(unknown[0], list(students), n=3, cutoff=0.6)
    hint = (f"did you mean {' or '.join(near)}?" if near else
            "ids are the names in grades.csv and the list this command prints")
    raise GraderError(f"--regrade {unknown[0]}: no submission in this batch has that id "
                      f"({hint})")
