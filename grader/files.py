"""Files written whole or not at all: a temporary file beside the target, then renamed.

A reader (the next run, a spreadsheet, a student opening a PDF) sees the old file or
the new one, never half of one, whatever stops the writer (Ctrl-C, a full disk, an
exception); the temporary file is removed when the write fails.
"""

from __future__ import annotations

import hashlib
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


def sha256_file(path: Path) -> str:
    """Hex digest of a file's bytes, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class FileDigests:
    """sha256 of files, each read once: made per batch and shared by its fingerprints."""

    def __init__(self) -> None:
        self._known: dict[Path, str] = {}

    def __call__(self, path: Path | str) -> str:
        """Hex digest of ``path``, read the first time it is asked for."""
        key = Path(path).resolve()
        if key not in self._known:
            self._known[key] = sha256_file(key)
        return self._known[key]
