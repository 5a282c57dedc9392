"""What to do about a cell that failed only because the grader is not the student's machine.

A notebook that ran on a laptop or on Colab can fail in the grader for reasons a student
cannot see from the error alone: the grader runs offline, in plain Jupyter, with only the
notebook and the course's packages, and lets a notebook write only in its own folder.
Each rule here matches such an error (by exception name and message) and says what to
change. Errors that are the notebook's own (a ``NameError``, a shape mismatch) get none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.errors import KERNEL_DIED
from grader.students import roster_order

DISK_CAP = "the grader's disk cap, --disk"  # in every such kernel death's message

_MODULE = re.compile(r"No module named '([^']+)'")
_MAGIC = re.compile(r"(?:Line|Cell) magic function `([^`]+)` not found")
_NETWORK = re.compile(r"Temporary failure in name resolution|Name or service not known|"
                      r"Network is unreachable|URL fetch failure|Failed to resolve|"
                      r"Failed to establish a new connection|nodename nor servname")
_NETWORK_ERRORS = {"URLError", "gaierror", "ConnectionError", "NewConnectionError",
                   "MaxRetryError", "ConnectTimeout", "HTTPError", "ConnectionRefusedError"}
_OUT_OF_MEMORY = {"MemoryError", "ResourceExhaustedError", "OutOfMemoryError"}

COLAB = ("The grader runs your notebook in plain Jupyter, not Colab: `google.colab` "
         "(Drive, file uploads) is not there. Leave Colab-only cells out, or put them under "
         "`if \"google.colab\" in sys.modules:` so that they run only on Colab.")
OFFLINE = ("The grader runs your notebook without internet access. Load MNIST with "
           "`keras.datasets.mnist.load_data()` (the grader supplies it) and download nothing "
           "else.")
READ_ONLY = ("The grader lets your notebook write only in its own folder, and read only "
             "that folder and the course's data: use relative paths, such as `model.keras` "
             "or `figures/loss.png`.")
NO_FILE = ("The grader has only your notebook: files beside it on your computer or in "
           "Google Drive are not there. Load MNIST with `keras.datasets.mnist.load_data()` "
           "(the grader supplies it), or make the file in an earlier cell.")
NO_INPUT = ("Nobody can type into `input()` while the grader runs your notebook: set the "
            "value in the code instead.")
NO_WIDGETS = ("The grader's Jupyter has no widgets (ipywidgets), so `tqdm.notebook` cannot "
              "draw its bar: use `from tqdm.auto import tqdm`, which falls back to a text "
              "bar.")
OUT_OF_MEMORY = ("Your notebook ran out of the memory the grader gives each notebook: "
                 "train with smaller batches or a smaller model, and delete large arrays "
                 "you no longer need.")

TOO_MANY_FILES = ("Your notebook wrote more files than the grader allows each notebook: "
                  "save your model once, after training (or with `ModelCheckpoint("
                  "save_best_only=True)`), and keep datasets and images in memory instead "
                  "of writing them to disk.")


def _missing_magic(evalue: str) -> str:
    """A magic of Colab's or of an extension the grader's Jupyter does not load."""
    found = _MAGIC.search(evalue)
    name = found.group(1) if found else "this magic"
    return (f"The grader's Jupyter has no `{name}` magic: it comes from Colab or from an "
            "extension the grader does not load. Leave it out.")


def _missing_module(evalue: str) -> str:
    """A module the grader's Python lacks: a package no pack declared, or the student's file."""
    found = _MODULE.search(evalue)
    name = found.group(1).split(".")[0] if found else "it"
    return (f"`{name}` is not available on the grader: the instructor can declare it in the "
            "pack (`[kernel] packages`), or remove it from the notebook. The grader runs "
            "offline with the course's packages; a file of your own next to the notebook "
            "is not there either: put its code in a cell. The notebook went on without it.")


_NAME_ERROR = re.compile(r"name '([^']+)' is not defined")


def _bound_names(source: str) -> set[str]:
    """Names a cell's code would define: imports, assignments, functions, classes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"(?m)^\s*(?:from\s+\S+\s+)?import\s+.*?\b(\w+)\s*$", source))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return out


def explained_by(failures: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """For each failure, the earlier failed cell that explains it (a ``NameError`` only).

    A name is undefined because the cell that would have defined it failed first (its
    import raised, say): the later error is that one's consequence, not a second fault.
    """
    out: list[int | None] = []
    for n, f in enumerate(failures):
        cause = None
        name = _NAME_ERROR.search(str(f.get("evalue") or ""))
        if str(f.get("ename")) == "NameError" and name:
            for earlier in reversed(failures[:n]):
                if name.group(1) in _bound_names(str(earlier.get("source") or "")):
                    cause = int(earlier.get("cell") or 0) or None
                    break
        out.append(cause)
    return out


@dataclass(frozen=True)
class Rule:
    """An error the grader's setting causes, and what to do about it."""

    matches: Callable[[str, str], bool]
    advice: Callable[[str], str]


RULES: tuple[Rule, ...] = (
    Rule(lambda e, v: e == "ModuleNotFoundError" and "google.colab" in v, lambda v: COLAB),
    Rule(lambda e, v: e == "ModuleNotFoundError", _missing_module),
    Rule(lambda e, v: e in _NETWORK_ERRORS or bool(_NETWORK.search(v)), lambda v: OFFLINE),
    Rule(lambda e, v: e == "PermissionError" or "Read-only file system" in v,
         lambda v: READ_ONLY),
    Rule(lambda e, v: e == "FileNotFoundError", lambda v: NO_FILE),
    Rule(lambda e, v: e == "StdinNotImplementedError", lambda v: NO_INPUT),
    Rule(lambda e, v: e == "UsageError" and bool(_MAGIC.search(v)), _missing_magic),
    Rule(lambda e, v: e == "ImportError" and "IProgress not found" in v, lambda v: NO_WIDGETS),
    Rule(lambda e, v: e in _OUT_OF_MEMORY, lambda v: OUT_OF_MEMORY),
    # the grader's own words when it stopped a kernel (grader.execute.engine, .diskcap)
    Rule(lambda e, v: e == KERNEL_DIED and "of memory" in v, lambda v: OUT_OF_MEMORY),
    Rule(lambda e, v: e == KERNEL_DIED and DISK_CAP in v, lambda v: TOO_MANY_FILES),
)


def advice(ename: str, evalue: str) -> str | None:
    """What to change when a cell failed only because the grader is not the student's machine."""
    for rule in RULES:
        if rule.matches(ename, evalue):
            return rule.advice(evalue)
    return None


def advise_once(failures: Iterable[Mapping[str, Any]], tie: bool = True) -> list[str | None]:
    """Each failure's advice, given at the first failure it fits only (said once).

    With ``tie``, a ``NameError`` an earlier failed cell explains is tied to that cell.
    """
    failures = list(failures)
    said: set[str] = set()
    out: list[str | None] = []
    for f, cause in zip(failures, explained_by(failures), strict=True):
        if cause is not None and tie:
            name = _NAME_ERROR.search(str(f.get("evalue") or ""))
            what = f"`{name.group(1)}`" if name else "This name"
            out.append(f"{what} is undefined because cell {cause} failed before it could "
                       f"define it: fix cell {cause}, and this cell runs too.")
            continue
        text = advice(str(f.get("ename") or ""), str(f.get("evalue") or ""))
        out.append(text if text and text not in said else None)
        if text:
            said.add(text)
    return out


def across_class(results: Iterable[Mapping[str, Any]], names: int = 10) -> list[dict[str, Any]]:
    """For the class summary: each piece of advice, the students whose cells it fits, most first.

    What an instructor can tell the whole class at once ("leave Colab's cells out"),
    instead of each student finding it in their own report.
    """
    students: dict[str, list[str]] = {}
    for r in results:
        failures = (r.get("execution") or {}).get("failures") or []
        for text in {t for t in advise_once(failures, tie=False) if t}:
            students.setdefault(text, []).append(str(r.get("student")))
    rows = [{"advice": text, "students": len(who), "names": sorted(who, key=roster_order)[:names],
             "more": max(0, len(who) - names)} for text, who in students.items()]
    return sorted(rows, key=lambda row: (-row["students"], row["advice"]))


def explaining_failure(question: Mapping[str, Any],
                       failures: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The failed cell that explains a question's failed checks, if one does.

    A cell that failed inside the question's cells (or, for a ``NameError`` there, the
    earlier failed cell that left the name undefined); for a question whose checks found
    nothing to grade, the notebook's first failed cell (its work may be in it). None
    when the question lost nothing to a check, or no cell failed.
    """
    lost = [c for c in question.get("checks", [])
            if c.get("outcome") in ("fail", "error") and c.get("max_score")
            and not str(c.get("id", "")).endswith(".answer_present")]
    if not lost or not failures:
        return None
    by_cell = {int(f.get("cell") or 0): f for f in failures}
    causes = dict(zip((int(f.get("cell") or 0) for f in failures), explained_by(failures),
                      strict=True))
    span = question.get("cells")
    if span:
        inside = [f for f in failures
                  if int(span["start"]) <= int(f.get("cell") or 0) <= int(span["end"])]
        if inside:
            first = int(inside[0].get("cell") or 0)
            return by_cell.get(causes.get(first) or first)
    nothing = any((c.get("details") or {}).get("no_model")
                  or (c.get("details") or {}).get("found") in (0, "0") for c in lost)
    if nothing or not span:
        first = int(failures[0].get("cell") or 0)
        return by_cell.get(causes.get(first) or first)
    return None
