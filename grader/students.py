"""Student ids from submission file names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# Canvas "download all submissions": <name>[_LATE]_<user id>_<submission id>_<file name>
CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_LATE)?_\d+_\d+_.+$")


def student_id(path: Path | str) -> str:
    """``doejane_12345_67890_mlp.ipynb`` → ``doejane``; otherwise the file's stem."""
    stem = Path(path).stem
    match = CANVAS.match(stem)
    raw = match.group("student") if match else stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or "unnamed"


def assign_ids(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Pair each file with a unique student id; repeats get ``-2``, ``-3`` in file order."""
    seen: dict[str, int] = {}
    out = []
    for path in sorted(paths):
        sid = student_id(path)
        seen[sid] = seen.get(sid, 0) + 1
        out.append((path, sid if seen[sid] == 1 else f"{sid}-{seen[sid]}"))
    return out
