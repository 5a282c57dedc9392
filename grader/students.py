"""Student ids from submission file names (and from per-student folders)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

# Canvas "download all submissions": <name>[_LATE]_<user id>_<submission id>_<file name>;
# the name is letters (any script), digits and hyphens
CANVAS = re.compile(r"^(?P<student>(?:[^\W_]|-)+?)(?:_LATE)?_\d+_\d+_.+$")
# Moodle "download all submissions": <Full Name>_<participant id>_assignsubmission_file_
# as a folder per student (the default), or before each file name; with blind marking the
# name is "Participant", so the id keeps the number
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_[a-z]+_.*$")
# Blackboard's "Assignment File Download": <assignment>_<username>_attempt_<date-time>, then
# "_<file name>" for each submitted file (the attempt's own .txt has none)
BLACKBOARD = re.compile(
    r"^.+_(?P<student>[^_]+)_attempt_(?P<attempt>\d{4}(?:-\d\d){5})(?:_.*)?$")
# what an id keeps: letters of any script (Müller stays Müller), digits, '.', '_', '-'
UNSAFE = re.compile(r"[^\w.-]+")
NUMBER = re.compile(r"(\d+)")


def never_submitted(name: str) -> bool:
    """A file or folder name no submission has.

    Hidden ones (Jupyter's ``.ipynb_checkpoints``), and what macOS' unzipping leaves
    (``__MACOSX``, ``._*`` AppleDouble files).
    """
    return name.startswith(".") or name == "__MACOSX"


def student_id(path: Path | str, root: Path | str | None = None) -> str:
    """``doejane_12345_67890_mlp.ipynb`` → ``doejane``; otherwise the file's stem.

    Blackboard's downloads give the username
    (``HW 7_jdoe_attempt_2026-11-20-23-58-01_mlp.ipynb`` → ``jdoe``).

    A notebook in a folder of its own below ``root`` (the folder being graded) takes the
    folder's name, as LMS downloads name a folder per student
    (``Jane Doe_4711_assignsubmission_file_/mlp.ipynb`` → ``Jane_Doe_4711``). Names are
    NFC-normalised first, so a name a Mac wrote decomposed (``u`` + U+0308) is the same id
    as the one typed on Windows (``ü``).
    """
    path = Path(path)
    name = path.stem
    if root is not None and path.parent != Path(root) and path.parent.parent == Path(root):
        name = path.parent.name
    name = unicodedata.normalize("NFC", name)
    blackboard, canvas = BLACKBOARD.match(name), CANVAS.match(name)
    moodle = moodle_participant(path)
    raw = (blackboard.group("student") if blackboard else canvas.group("student") if canvas
           else f"{moodle[0]}_{moodle[1]}" if moodle else name)
    return UNSAFE.sub("_", raw).strip("._") or "unnamed"


def moodle_participant(path: Path | str) -> tuple[str, str] | None:
    """The full name and participant id a Moodle download gave a submission's file or folder."""
    for name in (Path(path).stem, Path(path).parent.name):
        match = MOODLE.match(unicodedata.normalize("NFC", name))
        if match:
            return match.group("name"), match.group("participant")
    return None


def blackboard_attempt(path: Path | str) -> tuple[str, str] | None:
    """The username and attempt time (``2026-11-20-23-58-01``) in a Blackboard download's name.

    The username is as Blackboard spells it (``jane@uni.edu`` stays so), not made safe
    as a student id is; None when the file was not named by Blackboard.
    """
    match = BLACKBOARD.match(unicodedata.normalize("NFC", Path(path).stem))
    return (match.group("student"), match.group("attempt")) if match else None


def roster_order(student: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Sort key for student ids as a class list reads: ``s2`` before ``s10``, case ignored.

    Runs of digits compare as numbers and letters case-folded; ids that still tie
    (``Alice``, ``alice``) keep a fixed order by their own text.
    """
    parts = tuple((0, int(p)) if p.isdecimal() else (1, p.casefold())
                  for p in NUMBER.split(unicodedata.normalize("NFC", student)) if p)
    return parts, student


def assign_ids(paths: Iterable[Path], root: Path | None = None) -> list[tuple[Path, str]]:
    """Pair each file with a unique student id; repeats get ``-2``, ``-3`` in file order."""
    seen: dict[str, int] = {}
    out = []
    for path in sorted(paths):
        sid = student_id(path, root)
        seen[sid] = seen.get(sid, 0) + 1
        out.append((path, sid if seen[sid] == 1 else f"{sid}-{seen[sid]}"))
    return out
