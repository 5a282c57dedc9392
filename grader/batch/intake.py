"""Which notebooks a batch grades, and the student id each one gets.

A folder as an LMS download unpacks (one folder per student, or all in one), or one
notebook; zips are unpacked first (:mod:`grader.batch.archive`).
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from grader.assignment.parts import match_parts, part_of, write_joined
from grader.errors import GraderError
from grader.students import UNSAFE, assign_ids, never_submitted, roster_order, student_id

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


def _owner(path: Path, root: Path, names: Sequence[str]) -> str:
    """Whose notebook this is, in an assignment of several: the student id of its files.

    A per-student folder (Moodle) names the student; a file an LMS named (Canvas,
    Moodle, Blackboard) names them in its name; a notebook named only for its part
    (``08_cnn1_mnist.ipynb``) directly in the folder graded is that folder's student's;
    any other notebook there is a student of its own (one notebook of everything).
    """
    sid = student_id(path, root)
    plain = sid == (UNSAFE.sub("_", path.stem).strip("._") or "unnamed")
    if path.parent == root and plain and part_of(path.name, names) is not None:
        return UNSAFE.sub("_", root.name).strip("._") or "unnamed"
    return sid


def join_submissions(paths: Iterable[Path], root: Path | None, names: Sequence[str],
                     dest: Path) -> tuple[list[Path], list[str]]:
    """Each student's notebooks of an assignment of several, joined into one per student.

    The joined notebooks are written to ``dest`` as ``<student id>.ipynb`` (see
    :mod:`grader.assignment.parts`); their ids come from the students' folders or the
    names the LMS gave their files. A student whose notebooks are none of the
    assignment's names (one notebook of everything) is graded from that notebook as it
    is. Returns the notebooks to grade and a warning for each file left out.
    """
    paths = [Path(p).resolve() for p in paths]
    base = Path(root).resolve() if root is not None else (paths[0].parent if paths else Path())
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(_owner(path, base, names), []).append(path)
    out: list[Path] = []
    warnings: list[str] = []
    for student in sorted(groups, key=roster_order):
        found, other = match_parts(groups[student], names)
        if not found:  # graded as handed in: one notebook holding every part
            for n, path in enumerate(other, 1):
                copy = Path(dest) / f"{student}{'' if n == 1 else f'-{n}'}.ipynb"
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                out.append(copy)
            continue
        out.append(write_joined(found, names, Path(dest) / f"{student}.ipynb"))
        warnings += [f"{p}: not one of the assignment's notebooks ({', '.join(names)}); "
                     f"left out of {student}'s submission" for p in other]
    return out, warnings


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
