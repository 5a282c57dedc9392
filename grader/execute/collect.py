"""What the probe left in the work dir, read back safely and moved out of the kernel's reach.

Everything here is read as plain data with size limits; a file is used only if it is
a plain file inside the folder it should be in (no symlink, no ``..``), and a saved
model only if it still has the sha256 the probe took right after saving it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.errors import ProbeError
from grader.files import sha256_file
from grader.kernel.setup_src import cell_key

MODEL_FILE = re.compile(r"^models/model-\d+\.keras$")
MAX_RECORDS_BYTES = 20 << 20


def read_probe(probe_dir: Path) -> dict[str, Any]:
    """The probe's document, or a clear error saying why it is missing."""
    path = probe_dir / "probe.json"
    if not path.is_file() or path.is_symlink():
        raise ProbeError("the probe did not run, so no models could be collected", path=path)
    if path.stat().st_size > MAX_RECORDS_BYTES:
        raise ProbeError("probe output is implausibly large", path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProbeError(f"probe output is not valid JSON ({exc})", path=path) from None
    if not isinstance(doc, dict) or "error" in doc:
        raise ProbeError(f"the probe failed: {doc.get('error') if isinstance(doc, dict) else doc}",
                         path=path)
    if not isinstance(doc.get("models", []), list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), int) for m in doc.get("models", [])):
        raise ProbeError("probe output is malformed", path=path)
    return doc


def inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` if it is a plain file really inside ``root`` (no symlink, no ``..``)."""
    path = root / rel
    try:
        if path.is_symlink() or not path.is_file():
            return None
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return path


def collect(probe_dir: Path, dest: Path) -> dict[str, Any]:
    """Move the probe's output out of the kernel's reach, keeping only untouched model files.

    Called once the kernel is gone. Each model file is moved (not copied: a class's saved
    models are kept once), then must still have the sha256 the probe took right after
    saving it; one that changed or vanished is not graded (and the reason is recorded).
    """
    doc = read_probe(probe_dir)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "models").mkdir(parents=True)
    for m in doc.get("models", []):
        rel = m.get("file")
        if not rel:
            continue
        src = inside(probe_dir, str(rel)) if MODEL_FILE.fullmatch(str(rel)) else None
        if src is None or not _take(src, dest / str(rel), m.get("sha256")):
            m["file"] = None
            m["export_error"] = ("the saved model file was changed or removed after the probe "
                                 "wrote it, so it was not graded")
    (dest / "probe.json").write_text(json.dumps(doc), encoding="utf-8")
    return doc


def _take(src: Path, dest: Path, sha256: Any) -> bool:
    """Move ``src`` to ``dest`` as a file of its own, kept only if it has ``sha256``.

    Renamed where it can be; a file with other hard links (one the kernel may have made)
    or on another file system is copied, so nothing left behind shares the grader's copy.
    """
    try:
        renamed = os.stat(src).st_nlink == 1
        if renamed:
            os.replace(src, dest)
    except OSError:
        renamed = False
    if not renamed:
        shutil.copyfile(src, dest)
    if sha256_file(dest) == sha256:
        return True
    dest.unlink()
    return False


def read_figures(figures_dir: Path) -> list[dict[str, Any]]:
    """Figures captured in the kernel, last state of each (a bounded read of plain data)."""
    path = inside(figures_dir, "figures.jsonl")
    by_number: dict[int, dict[str, Any]] = {}
    if path is not None:
        with path.open(encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_RECORDS_BYTES)
        for line in text.splitlines():
            try:
                record = json.loads(line)
                by_number[int(record["number"])] = record
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return [by_number[k] for k in sorted(by_number)]


def cell_numbers(cells: list[dict[str, Any]]) -> dict[str, int]:
    """Cell key (hash of the source, as the kernel records it) to the notebook's cell number."""
    out: dict[str, int] = {}
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") == "code":
            out.setdefault(cell_key(cell.get("source", "")), number)
    return out


def locate(records: list[dict[str, Any]], numbers: Mapping[str, int]) -> list[dict[str, Any]]:
    """Replace the kernel's cell keys in figures or histories with cell numbers."""
    return [r | {"cell": numbers.get(str(r.get("cell")))} for r in records]


def locate_lines(records: list[dict[str, Any]],
                 cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cell numbers for lines of student code the kernel recorded (``cell`` key, ``code``).

    A line is placed in the cell that was running when it was seen if that cell holds
    it, else in the first cell that does (a function defined in an earlier cell).
    """
    numbers = cell_numbers(cells)
    sources = {n: str(c.get("source", "")) for n, c in enumerate(cells, 1)
               if c.get("cell_type") == "code"}
    out = []
    for r in records:
        if not isinstance(r, dict):
            continue
        code = str(r.get("code") or "")
        number = numbers.get(str(r.get("cell")))
        if code and (number is None or code not in sources.get(number, "")):
            number = next((n for n, src in sources.items() if code in src), number)
        out.append(r | {"cell": number})
    return out
