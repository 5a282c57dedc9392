"""An assignment of several notebooks: which file is which, and the one notebook they grade as.

A course may hand out an exercise as several notebooks (ZHAW's CNN exercise is
``08_cnn1_mnist.ipynb``, ``08_cnn2_mnist_No_solution.ipynb`` and the 8-faces notebook).
The spec names them (``notebooks``); a student hands in a folder of them, or the LMS's
several files. The grader joins a student's notebooks, in the spec's order, into one
notebook: each part opens with a Markdown cell naming it (tagged with the part's name),
and a part not handed in is that cell alone, saying so. The joined notebook runs in one
kernel, top to bottom, as if the student ran the notebooks one after another in one
session; each question reads the cells, models, figures and answers of its own part.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import NotebookError
from grader.notebook import read_notebook

PART_KEY = "grader_part"  # metadata of the Markdown cell that opens each part
MISSING_KEY = "grader_part_missing"
# what an LMS or a second upload adds to a file's name: Canvas' "-1", a browser's " (1)"
_COPY_SUFFIX = re.compile(r"(?:-\d+|\s*\(\d+\))$")


def _plain(name: str) -> str:
    """A file name as compared: NFC, case-folded, letters and digits only."""
    text = unicodedata.normalize("NFC", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def part_of(file_name: str, names: Sequence[str]) -> str | None:
    """The part a handed-in file is, by its name; None if it is none of them.

    The name may carry what an LMS puts before it (Canvas' ``doe_4711_99_``, Moodle's
    folder) or after it (``-1``, `` (1)``); case, spaces, hyphens and underscores do not
    matter (``08 CNN1 MNIST.ipynb`` is ``08_cnn1_mnist.ipynb``). The longest name that
    matches wins, so ``cnn1.ipynb`` never takes ``cnn1_extra.ipynb``'s place.
    """
    if not file_name.casefold().endswith(".ipynb"):
        return None
    stem = _plain(_COPY_SUFFIX.sub("", Path(file_name).stem))
    found = [n for n in names if stem.endswith(_plain(Path(n).stem))]
    return max(found, key=len) if found else None


def match_parts(files: Iterable[Path], names: Sequence[str]) -> tuple[dict[str, Path], list[Path]]:
    """Each part's file among one student's ``files``, and the files that are no part.

    Two files for one part (a re-upload): the one changed last is taken.
    """
    found: dict[str, Path] = {}
    other: list[Path] = []
    for path in sorted(files):
        part = part_of(path.name, names)
        if part is None:
            other.append(path)
        elif part not in found or path.stat().st_mtime >= found[part].stat().st_mtime:
            found[part] = path
    return found, other


def _opening(name: str, number: int, total: int, source: Path | None,
             unreadable: str | None = None) -> Any:
    """The Markdown cell that opens a part (or stands for one not handed in, or unreadable)."""
    if unreadable is not None:
        said = (f"**Could not be read** (`{source.name if source else name}`: {unreadable}), so "
                "the questions on this notebook have nothing to grade.")
    elif source is not None:
        said = f"*handed in as `{source.name}`*"
    else:
        said = ("**Not handed in**: no file of this name was found, so the questions on "
                "this notebook have nothing to grade.")
    cell = nbformat.v4.new_markdown_cell(f"# Notebook {number} of {total}: `{name}`\n\n{said}",
                                         id=f"part{number}")
    cell.metadata[PART_KEY] = name
    if source is None or unreadable is not None:
        cell.metadata[MISSING_KEY] = True
    return cell


def join_parts(found: Mapping[str, Path], names: Sequence[str]) -> nbformat.NotebookNode:
    """One notebook of a student's parts, in the spec's order; parts not found say so.

    A code cell whose source an earlier part already has gets a trailing comment naming
    its part, so that what it draws and trains is placed in its own part (the kernel
    knows a cell by its source). A part that is no readable notebook is its opening cell
    alone, saying why: one broken file costs its own questions, not the others'.
    """
    joined = nbformat.v4.new_notebook()
    seen: set[str] = set()
    for number, name in enumerate(names, 1):
        source = found.get(name)
        try:
            nb = read_notebook(source) if source is not None else None
        except NotebookError as exc:
            joined.cells.append(_opening(name, number, len(names), source, str(exc.message)))
            continue
        joined.cells.append(_opening(name, number, len(names), source))
        if nb is None:
            continue
        if not joined.metadata and nb.metadata:
            joined.metadata = nb.metadata
        for index, cell in enumerate(nb.cells, 1):
            if cell.cell_type == "code":
                if cell.source in seen:
                    cell.source = f"{cell.source.rstrip()}\n# (as in {name})"
                seen.add(cell.source)
            cell["id"] = f"part{number}-{index}"  # unique in the joined notebook
            joined.cells.append(cell)
    return joined


def write_joined(found: Mapping[str, Path], names: Sequence[str], dest: Path) -> Path:
    """Write the joined notebook to ``dest``, dated as its newest part (for late rules)."""
    nb = join_parts(found, names)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    times = [p.stat().st_mtime for p in found.values()]
    if times:
        os.utime(dest, (max(times), max(times)))
    return dest


def join_folder(folder: Path, names: Sequence[str], dest: Path) -> Path:
    """One student's folder of notebooks, joined into ``dest``; an error if none is a part."""
    files = [p for p in Path(folder).rglob("*.ipynb")
             if p.is_file() and not any(s.startswith(".") for s in p.relative_to(folder).parts)]
    found, _ = match_parts(files, names)
    if not found:
        raise NotebookError(f"none of the assignment's notebooks ({', '.join(names)}) is in "
                            "this folder", path=folder)
    return write_joined(found, names, dest)


def cell_parts(cells: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Cell number (from 1) to the part it belongs to, for a joined notebook's cells.

    Empty for a notebook that was not joined. The opening cells are read by the part
    name kept in their metadata (as written, or as :func:`part_metadata` keeps it).
    """
    out: dict[int, str] = {}
    part = None
    for number, cell in enumerate(cells, 1):
        meta = cell.get("metadata") or {}
        part = meta.get(PART_KEY) or (meta.get("grader") or {}).get("part") or part
        if part is not None:
            out[number] = str(part)
    return out


def opening_cells(cells: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The cells the grader wrote to open each part (never a student's answer)."""
    return [c for c in cells if PART_KEY in (c.get("metadata") or {})
            or "part" in ((c.get("metadata") or {}).get("grader") or {})]


def missing_parts(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """The parts a joined notebook stands in for: not handed in, or unreadable."""
    out = []
    for cell in cells:
        meta = cell.get("metadata") or {}
        grader = meta.get("grader") or {}
        if meta.get(MISSING_KEY) or grader.get("missing"):
            out.append(str(meta.get(PART_KEY) or grader.get("part")))
    return out


def part_metadata(cell: Mapping[str, Any]) -> dict[str, Any]:
    """What of an opening cell's metadata the grader keeps when it numbers the cells."""
    meta = cell.get("metadata") or {}
    if PART_KEY not in meta:
        return {}
    return {"part": meta[PART_KEY], **({"missing": True} if meta.get(MISSING_KEY) else {})}
