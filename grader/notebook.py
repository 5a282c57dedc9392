"""Reading a submission: nbformat 4 or one clear error that names the file.

A submission is untrusted input: it may be no notebook at all, a notebook of a
future format, or one built to be too large to grade. Each is refused here, before
anything runs, with a :class:`~grader.errors.NotebookError` naming the file. Nothing
heavier than nbformat is imported, so a student's kernel may use it (:mod:`grader.grading.live`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import NotebookError

MAX_FILE_BYTES = 100 << 20
MAX_CELLS = 2000


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a submission as nbformat 4, with one clear error when it is not a notebook."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise NotebookError(f"the file is over {MAX_FILE_BYTES >> 20} MiB; notebooks "
                                "that large are not graded", path=path)
        if size == 0:
            raise NotebookError("the file is empty (0 bytes): nothing was submitted, or the "
                                "upload failed", path=path)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError("not a notebook: the file is not UTF-8 text", path=path) from None
    except OSError as exc:
        raise NotebookError(f"cannot read the file ({exc.strerror})", path=path) from None
    try:
        nb = nbformat.reads(text, as_version=4)
    except nbformat.reader.NotJSONError:
        raise NotebookError("not a notebook: the file is not valid JSON", path=path) from None
    except nbformat.ValidationError as exc:
        raise NotebookError(f"not a valid notebook: {exc.message}", path=path) from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for odd documents
        version = _declared_version(text)
        if version is not None and version > 4:
            raise NotebookError(f"written in nbformat {version}, a version this grader cannot "
                                "read (it reads nbformat 4, what Jupyter saves)",
                                path=path) from None
        raise NotebookError(f"not a readable notebook ({type(exc).__name__}: {exc})",
                            path=path) from None
    if nb.get("metadata", {}).get("orig_nbformat") is not None:
        # upgraded from an older format (IPython 3's nbformat 3): nbformat keeps the old
        # format's node class, which papermill does not take for a notebook
        nb = nbformat.from_dict(nb)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise NotebookError(f"not a valid notebook: {exc.message}", path=path) from None
    if len(nb.cells) > MAX_CELLS:
        raise NotebookError(f"the notebook has {len(nb.cells):,} cells; notebooks with more "
                            f"than {MAX_CELLS:,} are not graded", path=path)
    return nb


def _declared_version(text: str) -> int | None:
    """The major nbformat version a JSON document claims, if it claims one."""
    try:
        version = json.loads(text).get("nbformat")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None


def has_parameters_cell(nb: nbformat.NotebookNode) -> bool:
    """Whether a cell is tagged ``parameters`` (papermill's convention)."""
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


INJECTED_TAG = "grader-injected"  # on every cell the grader adds to a notebook


def is_injected(cell: Any) -> bool:
    """Whether a cell was added by the grader."""
    return INJECTED_TAG in cell.get("metadata", {}).get("tags", [])
