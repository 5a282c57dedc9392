"""Student ids from submission file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

# Canvas "download all submissions": <name>[_LATE]_<user id>_<submission id>_<file name>;
# the name is letters (any script), digits and hyphens
CANVAS = re.compile(r"^(?P<student>(?:[^\W_]|-)+?)(?:_LATE)?_\d+_\d+_.+$")
# what an id keeps: letters of any script (Müller stays Müller), digits, '.', '_', '-'
UNSAFE = re.compile(r"[^\w.-]+")


def student_id(path: Path | str) -> str:
    """``doejane_12345_67890_mlp.ipynb`` → ``doejane``; otherwise the file's stem.

    Names are NFC-normalised first, so a name a Mac wrote decomposed (``u`` + U+0308) is
    the same id as the one typed on Windows (``ü``).
    """
    stem = unicodedata.normalize("NFC", Path(path).stem)
    match = CANVAS.match(stem)
    raw = match.group("student") if match else stem
    return UNSAFE.sub("_", raw).strip("._") or "unnamed"


def assign_ids(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Pair each file with a unique student id; repeats get ``-2``, ``-3`` in file order."""
    seen: dict[str, int] = {}
    out = []
    for path in sorted(paths):
        sid = student_id(path)
        seen[sid] = seen.get(sid, 0) + 1
        out.append((path, sid if seen[sid] == 1 else f"{sid}-{seen[sid]}"))
    return out
