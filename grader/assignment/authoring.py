"""A pack from one solution notebook: ``grader pack new ID --from solution.ipynb``.

The instructor writes the assignment once, as its solution, marked as Otter and
nbgrader users already mark theirs:

- a question is the cells between a cell starting ``# BEGIN QUESTION`` (with
  ``name: q1`` and ``points: 2`` lines, and optionally ``title: ...``) and a cell
  starting ``# END QUESTION`` (Markdown or raw cells; Otter's format);
- the solution in a code cell is the lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` (``### BEGIN SOLUTION``, nbgrader's, too): the starter keeps
  ``# YOUR CODE HERE`` in their place;
- a written answer is a Markdown cell's text between ``BEGIN SOLUTION`` and
  ``END SOLUTION`` lines (``<!-- BEGIN SOLUTION -->`` hides them in Jupyter): the
  starter keeps ``*Your answer here.*``.

From that the pack gets its starter, its solution, a ``reference.py`` that runs the
solution (:mod:`grader.assignment.solution_reference`) and a ``spec.toml`` with one
question per block and checks proposed from what the block's code builds, each
commented so the instructor can keep, change or delete it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from grader.assignment.spec_toml import load_spec
from grader.errors import SpecError
from grader.notebook import read_notebook

BEGIN_QUESTION = re.compile(r"^\s*#\s*BEGIN QUESTION\b", re.I)
END_QUESTION = re.compile(r"^\s*#\s*END QUESTION\b", re.I)
BEGIN_SOLUTION = re.compile(r"^\s*(?:#+|<!--)\s*BEGIN SOLUTION\b.*$", re.I)
END_SOLUTION = re.compile(r"^\s*(?:#+|<!--)\s*END SOLUTION\b.*$", re.I)
MODEL = re.compile(r"^\s*(\w+)\s*=\s*(?:[\w.]+\.)?(?:Sequential|Model)\(", re.M)
ID = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = "*Your answer here.*"
CHECK_COMMENTS = {
    "param_count": "the solution's parameter count",
    "layer_structure": "the solution's layers, in order",
    "accuracy_threshold": "accuracy the grader measures: full points from the solution's "
                          "- 0.01, none below its - 0.05",
}
YOUR_CODE = "# YOUR CODE HERE"


@dataclass
class Block:
    """One marked question of the solution notebook."""

    name: str
    points: float
    title: str
    cell: int  # the ``# BEGIN QUESTION`` cell, numbered from 1
    code: list[str] = field(default_factory=list)  # its code cells' solution lines
    prompt: str = ""  # the first Markdown line of the question
    written: bool = False  # a Markdown answer between solution markers


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _header(text: str, cell: int, path: Path) -> tuple[str, float, str]:
    """``name``, ``points`` and ``title`` of a ``# BEGIN QUESTION`` cell."""
    fields = {}
    for line in text.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
    name = fields.get("name", "")
    if not ID.fullmatch(name):
        raise SpecError(f"cell {cell}: a question needs `name: <id>` (lower case letters, "
                        f"digits, _), got {name!r}", path=path, key=f"cell {cell}")
    try:
        points = float(fields.get("points", ""))
    except ValueError:
        raise SpecError(f"cell {cell}: question {name} needs `points: <number>`", path=path,
                        key=f"cell {cell}") from None
    if not points > 0:
        raise SpecError(f"cell {cell}: question {name} is worth no points", path=path,
                        key=f"cell {cell}")
    return name, points, fields.get("title", "")


def _strip(text: str, cell: int, path: Path, replacement: str) -> tuple[str, list[str]]:
    """The cell's text without its solutions (``replacement`` instead), and the solutions."""
    out: list[str] = []
    solution: list[str] = []
    inside, indent = False, ""
    for line in text.splitlines():
        if BEGIN_SOLUTION.match(line):
            if inside:
                raise SpecError(f"cell {cell}: BEGIN SOLUTION inside a solution (a missing "
                                "END SOLUTION above?)", path=path, key=f"cell {cell}")
            inside, indent = True, line[:len(line) - len(line.lstrip())]
            continue
        if END_SOLUTION.match(line):
            if not inside:
                raise SpecError(f"cell {cell}: END SOLUTION without BEGIN SOLUTION",
                                path=path, key=f"cell {cell}")
            inside = False
            out.append(indent + replacement)
            continue
        (solution if inside else out).append(line)
    if inside:
        raise SpecError(f"cell {cell}: BEGIN SOLUTION is never ended (END SOLUTION missing)",
                        path=path, key=f"cell {cell}")
    return "\n".join(out), solution


@dataclass
class Draft:
    """What ``pack new`` writes: the starter, the questions, the title."""

    title: str
    starter: Any
    blocks: list[Block]


def read_solution(path: Path) -> Draft:
    """Read a marked solution notebook; one clear error, naming the cell, for bad markers."""
    nb = read_notebook(path)
    starter = nbformat.v4.new_notebook(metadata=nb.metadata)
    blocks: list[Block] = []
    current: Block | None = None
    title = ""
    for number, cell in enumerate(nb.cells, 1):
        text = _source(cell)
        if cell.cell_type in ("markdown", "raw") and BEGIN_QUESTION.match(text):
            if current is not None:
                raise SpecError(f"cell {number}: question {current.name} (cell {current.cell}) "
                                "is not ended (# END QUESTION missing)", path=path,
                                key=f"cell {number}")
            name, points, heading = _header(text, number, path)
            if any(b.name == name for b in blocks):
                raise SpecError(f"cell {number}: question {name} twice", path=path,
                                key=f"cell {number}")
            current = Block(name, points, heading, number)
            continue
        if cell.cell_type in ("markdown", "raw") and END_QUESTION.match(text):
            if current is None:
                raise SpecError(f"cell {number}: # END QUESTION without # BEGIN QUESTION",
                                path=path, key=f"cell {number}")
            blocks.append(current)
            current = None
            continue
        if cell.cell_type == "markdown" and not title:
            first = text.strip().splitlines()[0] if text.strip() else ""
            title = first.lstrip("#").strip() if first.startswith("#") else ""
        if cell.cell_type == "code":
            kept, solution = _strip(text, number, path, YOUR_CODE)
            if current is not None:
                current.code += solution or text.splitlines()
            starter.cells.append(nbformat.v4.new_code_cell(kept))
        elif cell.cell_type == "markdown":
            kept, solution = _strip(text, number, path, PLACEHOLDER)
            if current is not None:
                if solution:
                    current.written = True
                if not current.prompt:
                    current.prompt = next((ln.strip() for ln in kept.splitlines()
                                           if ln.strip() and ln.strip() != PLACEHOLDER), "")
            starter.cells.append(nbformat.v4.new_markdown_cell(kept))
        else:
            starter.cells.append(nbformat.v4.new_raw_cell(text))
    if current is not None:
        raise SpecError(f"cell {current.cell}: question {current.name} is not ended "
                        "(# END QUESTION missing)", path=path, key=f"cell {current.cell}")
    if not blocks:
        raise SpecError("no question marked: mark each with a cell `# BEGIN QUESTION` "
                        "(`name: q1`, `points: 2`) and one `# END QUESTION`", path=path,
                        key="")
    for b in blocks:
        if not b.written and not _model(b):
            raise SpecError(f"cell {b.cell}: question {b.name} builds no Keras model and has no "
                            "written answer between BEGIN/END SOLUTION: nothing to check",
                            path=path, key=f"cell {b.cell}")
    return Draft(title, starter, blocks)


def _model(block: Block) -> str | None:
    """The Keras model a question's solution builds (the last one assigned), if any."""
    found = MODEL.findall("\n".join(block.code))
    return found[-1] if found else None


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def spec_text(pack_id: str, draft: Draft) -> str:
    """The proposed ``spec.toml``: one question per block, each check commented."""
    models = [m for b in draft.blocks if (m := _model(b))]
    lines = [
        f"# Made by `grader pack new {pack_id} --from solution.ipynb`: a proposal. Keep, change",
        "# or delete each check; then `grader pack check` builds the expected results and",
        "# grades the starter (at most 5 % of the automatic points) and the solution (90 %).",
        f"id = {_toml(pack_id)}",
        f"title = {_toml(draft.title or pack_id)}",
        "version = 1",
        f"reference_models = {_toml(list(dict.fromkeys(models)))}",
        'default_profile = "fast"',
        "",
        "[profiles.fast]",
        'description = "Every `fit` at most 3 epochs on the first 10,000 training images; the '
        'reference (the solution, run by reference.py) trains the same way."',
        "train_limit = 10000",
        "max_epochs = 3",
        "cell_timeout = 300",
        "notebook_timeout = 900",
        "seed = 1234",
        "parameters = { epochs_cap = 3 }  # read by reference.py",
        "",
        "[profiles.full]",
        'description = "All 60,000 training images and the notebook\'s own epochs."',
        "train_limit = 0",
        "cell_timeout = 1800",
        "notebook_timeout = 5400",
        "seed = 1234",
    ]
    for b in draft.blocks:
        model = _model(b)
        title = b.title or re.sub(r"[*_#`]", "", b.prompt).strip()[:90] or b.name
        checks: list[tuple[float, str]] = []  # (points, the check's line)
        share = b.points / 2 if (model and b.written) else b.points
        if model:
            trains = any(".fit(" in line for line in b.code)
            parts = ([("param_count", 0.4), ("layer_structure", 0.2), ("accuracy_threshold", 0.4)]
                     if trains else [("param_count", 0.6), ("layer_structure", 0.4)])
            for name, weight in parts:
                points = round(share * weight, 2)
                extra = (f", lower_model = {_toml(model)}, lower_offset = -0.05, upper_model = "
                         f"{_toml(model)}, upper_offset = -0.01" if name == "accuracy_threshold"
                         else f", reference = {_toml(model)}")
                checks.append((points, f"  {{ check = {_toml(name)}, points = {points:g}{extra} "
                                       f"}},  # {CHECK_COMMENTS[name]}"))
        if b.written:
            prompt = f", prompt = {_toml(b.prompt)}" if b.prompt else ""
            checks.append((share, f'  {{ check = "answer_present", points = {share:g}{prompt} '
                                  "},  # a written answer, marked by hand (grader mark)"))
        lines += ["", "[[questions]]", f"id = {_toml(b.name)}", f"title = {_toml(title)}",
                  f"points = {round(sum(p for p, _ in checks), 2):g}"]
        if model:
            lines.append(f"select = {{ reference = {_toml(model)}, prefer = \"closest\", "
                         f"names = [{_toml(model)}] }}")
        if b.written and b.prompt:
            lines.append(f"answer = {{ pattern = {_toml('(?m)^' + re.escape(b.prompt[:60]))}, "
                         f"placeholder = {_toml(PLACEHOLDER)} }}")
        lines += ["checks = [", *(line for _, line in checks), "]"]
    return "\n".join(lines) + "\n"


def new_pack(pack_id: str, solution: Path, dest: Path) -> Path:
    """Write the pack ``dest/pack_id`` from a marked solution notebook; return its folder.

    Written whole or not at all: into a temporary folder beside it, checked (its spec
    loads), then renamed. Refuses a folder that exists.
    """
    if not ID.fullmatch(pack_id):
        raise SpecError(f"{pack_id!r} is not a pack id (lower case letters, digits, _)",
                        path=solution, key="id")
    target = Path(dest) / pack_id
    if target.exists():
        raise SpecError("a pack of that id exists here: choose another id or folder",
                        path=target, key="id")
    draft = read_solution(Path(solution))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{pack_id}-", dir=target.parent) as tmp:
        stage = Path(tmp) / pack_id
        stage.mkdir()
        (stage / "spec.toml").write_text(spec_text(pack_id, draft), encoding="utf-8")
        nbformat.write(draft.starter, stage / "starter.ipynb")
        shutil.copyfile(solution, stage / "solution.ipynb")
        shutil.copyfile(Path(__file__).with_name("solution_reference.py"),
                        stage / "reference.py")
        load_spec(stage / "spec.toml")  # what it wrote must load, or nothing is written
        stage.rename(target)
    return target
