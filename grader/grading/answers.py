"""Finding written answers and questions' cells in a notebook (pure, but for the starter).

A question's ``labels`` (spec) find its part of the notebook's outline
(:mod:`grader.grading.outline`), wherever the student put it; a pack's own answer
heading (``answer.pattern``) is the fallback. An answer no label locates may be guessed
from prose under no label: shown to the marker as a guess, never as missing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment.parts import opening_cells
from grader.assignment.spec import Answer, Question, Spec
from grader.grading.outline import (
    STOPWORDS,
    Outline,
    Segment,
    build_outline,
    canonical,
    given_text,
    is_answer,
    norm,
    student_prose,
    words,
)


def _clean(text: str, placeholder: str) -> str:
    if placeholder:
        text = text.replace(placeholder, "")
    return re.sub(r"[*_`>#\s]+", " ", text).strip()


def cell_number(cells: Sequence[Mapping[str, Any]], i: int) -> int:
    """The notebook's number of ``cells[i]`` (as the grader numbered it, else its position)."""
    return int(cells[i].get("metadata", {}).get("grader", {}).get("cell", i + 1))


def _heading_level(text: str) -> int:
    """Level of the Markdown heading ``text`` starts with (``## A`` → 2), 0 if none."""
    match = re.match(r"\s*(#{1,6})\s", text)
    return len(match.group(1)) if match else 0


def find_answer(
    cells: Sequence[Mapping[str, Any]], answer: Answer, others: Sequence[Answer] = ()
) -> dict[str, Any] | None:
    """The answer written under the heading ``answer.pattern`` matches.

    The answer is the rest of the heading's cell plus the Markdown cells after it,
    up to the next code cell, the next question's heading, or a cell that starts with a
    heading of the same or a higher level (a student's sub-headings stay in). The starter's
    placeholder text does not count as an answer.

    Args:
        cells: The notebook's cells (``cell_type``, ``source``, ``metadata``).
        answer: How to find this question's heading.
        others: The other questions' answer specs, whose headings end this answer.
    """
    pattern = re.compile(answer.pattern, re.MULTILINE)
    stops = [re.compile(o.pattern, re.MULTILINE) for o in others]
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "markdown":
            continue
        match = pattern.search(cell.get("source", ""))
        if not match:
            continue
        source = cell["source"]
        line_end = source.find("\n", match.end())
        parts = [source[line_end + 1:] if line_end >= 0 else ""]
        first = cell_number(cells, i)
        level = _heading_level(source[source.rfind("\n", 0, match.start()) + 1:]) or 6
        for nxt in cells[i + 1:]:
            text = nxt.get("source", "")
            if (nxt.get("cell_type") != "markdown" or any(s.search(text) for s in stops)
                    or 0 < _heading_level(text) <= level):
                break
            parts.append(nxt.get("source", ""))
        raw = "\n\n".join(p.replace(answer.placeholder, "") if answer.placeholder else p
                          for p in parts).strip()
        if _clean(raw, answer.placeholder):
            return {"cell": first, "text": raw}
        return None
    return None


def section_of(cells: Sequence[Mapping[str, Any]], heading: str,
               stops: Sequence[str] = ()) -> dict[str, int] | None:
    """A question's cells: from its heading to the next question's heading, as cell numbers.

    The section starts at the Markdown cell ``heading`` matches and ends before the
    next Markdown cell one of ``stops`` matches (or at the notebook's end). Code cells
    in between belong to the question: figures they draw are its figures.
    """
    pattern = re.compile(heading, re.MULTILINE)
    ends = [re.compile(p, re.MULTILINE) for p in stops]

    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown" and pattern.search(cell.get("source", "")):
            end = len(cells) - 1
            for j in range(i + 1, len(cells)):
                if cells[j].get("cell_type") == "markdown" and any(
                        e.search(cells[j].get("source", "")) for e in ends):
                    end = j - 1
                    break
            return {"start": cell_number(cells, i), "end": cell_number(cells, end)}
    return None


@dataclass(frozen=True)
class Located:
    """Where a question's answer was found and how sure the grader is."""

    how: str  # "label", "comments", "guess"
    cells: tuple[int, ...]  # indexes of the cells holding it
    text: str
    label: str | None = None

    def to_dict(self, number: Any) -> dict[str, Any]:
        """Plain data for checks and reports; ``number(i)`` gives a cell's notebook number."""
        numbers = [number(i) for i in self.cells]
        return {"cell": numbers[0], "cells": [numbers[0], numbers[-1]], "text": self.text,
                "how": self.how, "label": self.label}


def claims(outline: Outline, labels_by_question: Mapping[str, Collection[str]],
           ) -> dict[str, list[Segment]]:
    """Which segments each question's labels claim.

    A segment is claimed by the question that names its key; failing that, by the one
    that names the number above it (``3`` claims ``3.1`` and ``3a`` unless a question
    names those), never by two questions.
    """
    wanted = {q: {canonical(label) for label in labels}
              for q, labels in labels_by_question.items()}
    owner = {key: q for q, keys in wanted.items() for key in keys}
    out: dict[str, list[Segment]] = {q: [] for q in wanted}
    for seg in outline.segments:
        if seg.label is None:
            continue
        for key in seg.label.keys:  # "Question 2A and 2B": both questions' segment
            q = owner.get(key)
            for parent in _parents(key):
                if q is not None:
                    break
                q = owner.get(parent)
            if q is not None and seg not in out[q]:
                out[q].append(seg)
    return out


def _parents(key: str) -> list[str]:
    """The labels above ``key``, nearest first: ``2.6.1`` → ``2.6``, ``2``; ``2a`` → ``2``."""
    out: list[str] = []
    while True:
        shorter = re.sub(r"(\.\d+|[a-h])$", "", key)
        if shorter == key or not shorter:
            return out
        out.append(shorter)
        key = shorter


def unclaimed_prose(outline: Outline, claimed: Iterable[Segment], given: Collection[str],
                    ) -> list[tuple[int, str]]:
    """Student prose standing under no question's label: where a guess may look."""
    taken = {id(s) for s in claimed}
    out = []
    for seg in outline.segments:
        if id(seg) in taken:
            continue
        for i, text in seg.prose:
            prose = student_prose(text, given)
            if is_answer(prose):
                out.append((i, prose))
    return out


def locate(segments: Sequence[Segment], given: Collection[str], placeholder: str = "",
           prompt: str = "") -> Located | None:
    """The answer in a question's own segments: prose first, else prose code comments."""
    if not segments:
        return None
    label = segments[0].label.shown if segments[0].label else None
    prose = [(i, student_prose(t, given, placeholder, prompt)) for s in segments
             for i, t in s.prose]
    prose = [(i, t) for i, t in prose if is_answer(t)]
    if prose:
        return Located("label", tuple(dict.fromkeys(i for i, _ in prose)),
                       "\n\n".join(t for _, t in prose), label)
    comments = [(i, "\n".join(line for line in t.splitlines() if norm(line) not in given))
                for s in segments for i, t in s.comments]
    comments = [(i, t) for i, t in comments if len(words(t)) >= 8]
    if comments:
        return Located("comments", tuple(i for i, _ in comments),
                       "\n".join(t for _, t in comments), label)
    return None


def _stems(text: str) -> set[str]:
    """Content words cut to five letters: ``trained`` and ``training`` meet as ``train``."""
    return {w[:5] for w in words(text) if w not in STOPWORDS and len(w) > 3 and w.isalpha()}


def guesses(candidates: Sequence[tuple[int, str]], prompts: Mapping[str, str],
            ) -> dict[str, Located]:
    """Unlabelled prose given to the questions whose prompts it is most like.

    A candidate goes to one question at most, best matches first; a question takes
    one candidate sharing at least two words with its prompt.
    """
    asked = {q: _stems(p) for q, p in prompts.items()}
    pairs = sorted(((len(asked[q] & _stems(text)), q, n)
                    for q in prompts for n, (_, text) in enumerate(candidates)), reverse=True)
    out: dict[str, Located] = {}
    used: set[int] = set()
    for shared, q, n in pairs:
        if shared < 2 or q in out or n in used:
            continue
        out[q] = Located("guess", (candidates[n][0],), candidates[n][1])
        used.add(n)
    return out


@functools.lru_cache(maxsize=16)
def _starter_text(path: str, mtime: float) -> frozenset[str]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    return given_text(c for c in nb.get("cells", []) if isinstance(c, dict))


@functools.lru_cache(maxsize=16)
def _starter_labels(path: str, mtime: float) -> frozenset[str]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    return frozenset(key for seg in build_outline(cells).segments if seg.label is not None
                     for key in seg.label.keys if key)


def _over_starter(starter: Path,
                  read: Callable[[str, float], frozenset[str]]) -> frozenset[str]:
    """``read`` of each of a starter's notebooks (a file, or a folder of them), joined."""
    files = sorted(starter.glob("*.ipynb")) if starter.is_dir() else [starter]
    out: frozenset[str] = frozenset()
    for file in files:
        try:
            out |= read(str(file), file.stat().st_mtime)
        except OSError:
            continue
    return out


def starter_labels(starter: Path) -> frozenset[str]:
    """The labels a pack's starter (file, or folder of notebooks) uses itself."""
    return _over_starter(starter, _starter_labels)


def starter_text(starter: Path) -> frozenset[str]:
    """What a pack's starter already says (no answer of the student's), read once.

    ``starter`` may be a folder of notebooks (an assignment of several): all of them.
    """
    return _over_starter(starter, _starter_text)


def answers_in(spec: Spec, starter: Path,
               cells: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`answers_and_sections` of a notebook as the grader reads it.

    What the pack's starter says, and the cells the grader wrote to open each notebook
    of an assignment of several, are never a student's answer.
    """
    said = starter_text(starter) | given_text(opening_cells(cells))
    return answers_and_sections(spec, cells, said)


def _prompt(question: Question) -> str:
    return " ".join(str(c.params.get("prompt", "")) for c in question.checks)


def _about(question: Question) -> str:
    """What a question is about, for guesses: its title and its prompts."""
    return f"{question.title} {_prompt(question)}"


def answers_and_sections(spec: Spec, cells: Sequence[Mapping[str, Any]],
                         given: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Per question id: its ``answer`` (or None), ``section`` (or None), and notes.

    ``answer`` holds ``cell``, ``cells`` (first and last), ``text``, ``how`` (``label``,
    ``comments``, ``heading`` or ``guess``) and ``label``. Where no answer is located
    but the notebook holds prose under no question's label, ``unlocated`` names those
    cells: the marker reads them; the student is not told the answer is missing.
    """
    outline = build_outline(cells)
    labelled = {q.id: q.labels for q in spec.questions if q.labels}
    claimed = claims(outline, labelled)
    spare = unclaimed_prose(outline, [s for segs in claimed.values() for s in segs], given)
    answers = [q.answer for q in spec.questions if q.answer]
    out: dict[str, dict[str, Any]] = {}
    to_guess: dict[str, str] = {}
    for q in spec.questions:
        mine = claimed.get(q.id, [])
        entry: dict[str, Any] = {"section": None, "unlocated": []}
        if mine:
            indexes = [i for s in mine for i in ([s.label.cell] if s.label else []) + s.cells]
            entry["section"] = {"start": cell_number(cells, min(indexes)),
                                "end": cell_number(cells, max(indexes))}
        elif q.headings:
            stops = [h for other in spec.questions if other is not q for h in other.headings]
            entry["section"] = section_of(cells, q.headings[0], stops)
        if q.answer is not None:
            prompt = _prompt(q)
            located = locate(mine, given, q.answer.placeholder, prompt)
            found = located.to_dict(lambda i: cell_number(cells, i)) if located else None
            if found is None and q.answer.pattern:
                found = find_answer(cells, q.answer, [a for a in answers if a != q.answer])
                if found is not None:
                    found |= {"how": "heading", "cells": [found["cell"], found["cell"]],
                              "label": None}
            if found is None and not mine:
                to_guess[q.id] = _about(q)
            entry["answer"] = found
        out[q.id] = entry
    guessed = guesses(spare, to_guess)
    for qid, located in guessed.items():
        out[qid]["answer"] = located.to_dict(lambda i: cell_number(cells, i))
    given_out = {i for located in guessed.values() for i in located.cells}
    left = [cell_number(cells, i) for i, _ in spare if i not in given_out]
    for qid in to_guess:  # no label names them: the marker reads what no label holds
        if out[qid]["answer"] is None:
            out[qid]["unlocated"] = left
    return out


def unmapped_labels(spec: Spec, cells: Sequence[Mapping[str, Any]],
                    given: frozenset[str] = frozenset()) -> list[str]:
    """Labels the notebook uses that name no question of the spec (said in the report).

    A label above or below a question's (``2`` above ``2a``, ``3.1`` below ``3``) is
    the notebook's structure, not unmapped; so is one the starter has (``given``, from
    :func:`starter_labels`: ZHAW's heading ``## 8 faces fine tuning``).
    """
    known = {canonical(label) for q in spec.questions for label in q.labels}
    related = known | {p for k in known for p in _parents(k)} | set(given)
    out = []
    for seg in build_outline(cells).segments:
        if seg.label is None:
            continue
        for key in seg.label.keys:
            if key and key not in related and not set(_parents(key)) & known:
                out.append(key)
    return list(dict.fromkeys(out))
