"""Files written whole or not at all: a temporary file beside the target, then renamed.

A reader (the next run, a spreadsheet, a student opening a PDF) sees the old file or
the new one, never half of one, whatever stops the writer (Ctrl-C, a full disk, an
exception); the temporary file is removed when the write fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; it becomes ``path`` when the block ends.

    If the block raises, ``path`` is left as it was and the temporary file is removed.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_whole(path: Path, text: str) -> None:
    """``path.write_text(text)`` (UTF-8), whole or not at all."""
    with written_whole(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
