"""What a marker sees of one question: every student's answer, grouped, with what is known.

Plain data from the class's results (as reports show them: manual grades applied), for
the marking page (:mod:`grader.marking.app`) to draw. A written question is one whose
checks include a hand-marked one (``answer_present``); its answers are what the grader
located in each notebook (:mod:`grader.grading.answers`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from grader.assignment.spec import Question, RubricItem, Spec
from grader.gradebook.overrides import Override, answer_sha

NEAR = 92.0  # rapidfuzz ratio (0–100) from which two answers are offered as one group
ALIKE = 90.0  # ratio from which two students' answers to a question count as alike
ALIKE_MIN_CHARS = 80  # shorter answers are alike by nature ("Yes, it overfits.")
_PUNCT = re.compile(r"[^\w\s]+")


def written_questions(spec: Spec) -> list[Question]:
    """The questions with a written answer a person marks, in the spec's order."""
    return [q for q in spec.questions if any(c.name == "answer_present" for c in q.checks)]


def normalise(text: str) -> str:
    """An answer as compared for groups: NFKC, case, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCT.sub(" ", text).split())


@dataclass(frozen=True)
class StudentAnswer:
    """One student's answer to the question being marked, and what the grader knows of it.

    Attributes:
        student: The student id.
        text: The answer's Markdown (None: no answer found in the notebook).
        sha: What identifies the text; a mark made on another text is out of date.
        cell: The notebook cell it is in.
        how: How it was located (``label``, ``heading``, ``guess`` …).
        notes: What the grader's own checks of the question said (facts stated or
            missed, the figure found), one line each.
        figures: The figures drawn in the question's cells (file names under
            ``<student>/work/figures/``).
        executed: The executed notebook's HTML, relative to the output folder.
        mark: The newest mark, as plain data (None: not marked).
    """

    student: str
    text: str | None
    sha: str
    cell: int | None
    how: str | None
    notes: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    executed: str | None = None
    mark: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The answer as the page's JSON has it."""
        return {"student": self.student, "text": self.text, "sha": self.sha, "cell": self.cell,
                "how": self.how, "notes": list(self.notes), "figures": list(self.figures),
                "executed": self.executed, "mark": self.mark}


@dataclass(frozen=True)
class Board:
    """One question's marking board: its answers, their groups, the rubric, the progress."""

    question: Question
    answers: tuple[StudentAnswer, ...]
    groups: tuple[tuple[str, ...], ...]  # students whose answers are (nearly) the same
    rubric: tuple[RubricItem, ...] = field(default=())

    @property
    def marked(self) -> int:
        """How many answers have a mark."""
        return sum(1 for a in self.answers if a.mark is not None)

    def to_dict(self) -> dict[str, Any]:
        """The board as the page's JSON has it."""
        q = self.question
        return {"question": {"id": q.id, "title": q.title, "points": q.points,
                             "prompt": " ".join(str(c.params.get("prompt", ""))
                                                for c in q.checks).strip()},
                "answers": [a.to_dict() for a in self.answers],
                "groups": [list(g) for g in self.groups],
                "rubric": [{"id": i.id, "points": i.points, "text": i.text}
                           for i in self.rubric],
                "marked": self.marked, "total": len(self.answers)}


def _mark(override: Override | None, reported: Mapping[str, Any],
          sha: str) -> dict[str, Any] | None:
    if override is None:
        return None
    shown = reported.get("override") or {}
    return {"points": shown.get("points", override.points), "comment": override.comment,
            "items": list(override.items), "by_items": override.by_items,
            "marker": override.marker, "at": override.recorded_at,
            "answer_changed": bool(override.answer_sha) and override.answer_sha != sha}


def _notes(question: Mapping[str, Any]) -> tuple[str, ...]:
    """What the question's automatic checks said (the pre-grade), one line each."""
    return tuple(f"{c['id'].split('.', 1)[-1]}: {c['message']}" for c in question["checks"]
                 if c["id"].split(".", 1)[-1] != "answer_present" and c.get("message"))


def _figures(result: Mapping[str, Any], cells: Sequence[int]) -> tuple[str, ...]:
    if not cells:
        return ()
    first, last = min(cells), max(cells)
    return tuple(str(f["file"]) for f in result.get("figures", [])
                 if f.get("file") and f.get("cell") is not None
                 and first <= int(f["cell"]) <= last + 1)


def board(question: Question, results: Sequence[Mapping[str, Any]],
          overrides: Sequence[Override], rubric: Mapping[str, RubricItem]) -> Board:
    """The marking board of ``question`` over the class's ``results`` (as reported)."""
    marks = {o.student: o for o in overrides if o.question == question.id}
    answers = []
    for result in results:
        if result.get("status") != "graded":
            continue
        q = next((x for x in result["questions"] if x["id"] == question.id), None)
        if q is None:
            continue
        found = q.get("answer") or {}
        text = found.get("text")
        sha = answer_sha(text)
        executed = (result.get("execution") or {}).get("executed_html")
        answers.append(StudentAnswer(
            result["student"], text, sha, found.get("cell"), found.get("how"), _notes(q),
            _figures(result, found.get("cells") or []),
            f"{result['student']}/executed.html" if executed else None,
            _mark(marks.get(result["student"]), q, sha)))
    return Board(question, tuple(answers), groups(answers), tuple(rubric.values()))


def _alike(texts: Sequence[tuple[str, str]], cutoff: float) -> list[tuple[str, str, float]]:
    """Each pair of ``(student, text)`` at least ``cutoff`` alike (rapidfuzz's ratio, 0–100).

    Returned as ``(first, second, ratio)``, the two students in sorted order.
    """
    if len(texts) < 2:
        return []
    scores = process.cdist([t for _, t in texts], [t for _, t in texts], scorer=fuzz.ratio,
                           score_cutoff=cutoff)
    out = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if scores[i][j] >= cutoff:
                a, b = sorted((texts[i][0], texts[j][0]))
                out.append((a, b, float(scores[i][j])))
    return out


def groups(answers: Sequence[StudentAnswer], near: float = NEAR) -> tuple[tuple[str, ...], ...]:
    """Students whose answers are the same or nearly (two or more each), largest first.

    The same after :func:`normalise`, or at least ``near`` alike (rapidfuzz's ratio);
    answers not found are never grouped.
    """
    texts = [(a.student, normalise(a.text)) for a in answers if a.text and normalise(a.text)]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = {student: i for i, (student, _) in enumerate(texts)}
    for a, b, _ in _alike(texts, near):
        parent[root(index[b])] = root(index[a])
    out: dict[int, list[str]] = {}
    for i, (student, _) in enumerate(texts):
        out.setdefault(root(i), []).append(student)
    found = [tuple(g) for g in out.values() if len(g) > 1]
    return tuple(sorted(found, key=lambda g: (-len(g), g)))


@dataclass(frozen=True)
class AlikePair:
    """Two students whose answers or code are unusually alike (for the instructor to read)."""

    first: str
    second: str
    questions: tuple[str, ...]
    score: float


def alike_pairs(spec: Spec, results: Sequence[Mapping[str, Any]],
                given: frozenset[str] = frozenset(), alike: float = ALIKE,
                min_chars: int = ALIKE_MIN_CHARS) -> list[AlikePair]:
    """Pairs of students with alike answers to one or more written questions, most first.

    Only answers of ``min_chars`` or more count (short answers are alike by nature), and
    text the starter gives (``given``, normalised) is never theirs. A list to read, never
    a penalty.
    """
    found: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for question in written_questions(spec):
        texts = []
        for r in results:
            q = next((x for x in r.get("questions", []) if x["id"] == question.id), None)
            text = normalise(((q or {}).get("answer") or {}).get("text") or "")
            if len(text) >= min_chars and text not in given:
                texts.append((r["student"], text))
        for a, b, ratio in _alike(texts, alike):
            found.setdefault((a, b), []).append((question.id, ratio))
    pairs = [AlikePair(a, b, tuple(q for q, _ in hits), round(max(s for _, s in hits), 1))
             for (a, b), hits in found.items()]
    return sorted(pairs, key=lambda p: (-len(p.questions), -p.score, p.first, p.second))


def _code_of(notebook: Path, given: frozenset[str]) -> str:
    """A notebook's own code lines: no blank line, comment, grader's cell or starter line."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    lines = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if "grader-injected" in (cell.get("metadata") or {}).get("tags", []):
            continue
        source = cell.get("source", "")
        for line in ("".join(source) if isinstance(source, list) else str(source)).splitlines():
            text = " ".join(line.split())
            if text and not text.startswith("#") and text not in given:
                lines.append(text)
    return "\n".join(lines)


def starter_code(starter_files: Sequence[Path]) -> frozenset[str]:
    """The code lines a pack's starter notebooks give (whitespace runs made one space)."""
    out: set[str] = set()
    for path in starter_files:
        out |= set(_code_of(path, frozenset()).splitlines())
    return frozenset(out)


def alike_code(out_dir: Path, results: Sequence[Mapping[str, Any]], given: frozenset[str],
               alike: float = ALIKE, min_chars: int = 400) -> list[AlikePair]:
    """Pairs of students whose own code (what the starter gave left out) is unusually alike.

    Compared as text (rapidfuzz's ratio of the executed notebooks' code lines) over code
    of ``min_chars`` or more: a list to read, never a penalty.
    """
    codes = []
    for r in results:
        code = _code_of(Path(out_dir) / r["student"] / "executed.ipynb", given)
        if len(code) >= min_chars:
            codes.append((r["student"], code))
    pairs = [AlikePair(a, b, ("code",), round(ratio, 1)) for a, b, ratio in _alike(codes, alike)]
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))
