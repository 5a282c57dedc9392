"""Finding written answers in a notebook's Markdown cells (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from grader.assignment.spec import Answer


def _clean(text: str, placeholder: str) -> str:
    if placeholder:
        text = text.replace(placeholder, "")
    return re.sub(r"[*_`>#\s]+", " ", text).strip()


def _cell_number(cells: Sequence[Mapping[str, Any]], i: int) -> int:
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
        first = _cell_number(cells, i)
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
            return {"start": _cell_number(cells, i), "end": _cell_number(cells, end)}
    return None
