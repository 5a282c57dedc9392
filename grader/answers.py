"""Finding written answers in a notebook's Markdown cells (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from grader.spec import Answer


def _clean(text: str, placeholder: str) -> str:
    if placeholder:
        text = text.replace(placeholder, "")
    return re.sub(r"[*_`>#\s]+", " ", text).strip()


def find_answer(
    cells: Sequence[Mapping[str, Any]], answer: Answer, others: Sequence[Answer] = ()
) -> dict[str, Any] | None:
    """The answer written under the heading ``answer.pattern`` matches.

    The answer is the rest of the heading's cell plus the Markdown cells after it,
    up to the next code cell or the next question's heading. The starter's
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
        first = cells[i].get("metadata", {}).get("grader", {}).get("cell", i + 1)
        for nxt in cells[i + 1:]:
            if nxt.get("cell_type") != "markdown" or any(s.search(nxt.get("source", ""))
                                                         for s in stops):
                break
            parts.append(nxt.get("source", ""))
        raw = "\n\n".join(p.replace(answer.placeholder, "") if answer.placeholder else p
                          for p in parts).strip()
        if _clean(raw, answer.placeholder):
            return {"cell": first, "text": raw}
        return None
    return None
