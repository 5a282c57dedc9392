"""Manual grades: an instructor's overrides file, read, checked and applied to results.

The file is CSV (a header with ``student,question,points`` and optionally ``comment``)
or YAML (a list of mappings with those keys). ``points`` is the question's final
score: it replaces what the checks gave, automatic part included. The whole file is
checked before anything is stored, and every error names its line.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment.spec import RubricItem, Spec
from grader.errors import OverridesError

COLUMNS = ("student", "question", "points")


@dataclass(frozen=True)
class Override:
    """One manual grade: a question's final points for a student, with a comment.

    From the marking page it also says who marked (``marker``), when (``recorded_at``),
    with which rubric items (``items``; with ``by_items`` the points are theirs, so a
    change to an item's points re-scores it) and the answer marked (``answer_sha``: a
    re-graded notebook whose answer changed is flagged for review).
    """

    student: str
    question: str
    points: float
    comment: str = ""
    line: int = 0
    marker: str = ""
    items: tuple[str, ...] = ()
    by_items: bool = False
    answer_sha: str = ""
    recorded_at: float = 0.0


def _rows(path: Path) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise OverridesError("overrides file not found", path=path, line=0) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverridesError(f"cannot read it ({exc})", path=path, line=0) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_rows(path, text)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise OverridesError(f"line 1: the header needs the columns {', '.join(COLUMNS)} "
                             f"(missing: {', '.join(missing)})", path=path, line=1)
    return [(reader.line_num, row) for row in reader]


def _yaml_rows(path: Path, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    import yaml

    loader = yaml.SafeLoader(text)
    try:  # one parse: the node tree gives each item's line, the document its values
        nodes = loader.get_single_node()
        data = loader.construct_document(nodes) if nodes is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise OverridesError(f"line {line}: not valid YAML ({getattr(exc, 'problem', exc)})",
                             path=path, line=line) from None
    finally:
        loader.dispose()
    if data is None:
        return []
    if not isinstance(data, list):
        raise OverridesError("line 1: expected a list of {student, question, points, comment}",
                             path=path, line=1)
    lines = [n.start_mark.line + 1 for n in nodes.value]
    return [(line, row if isinstance(row, dict) else {"_bad": row})
            for line, row in zip(lines, data, strict=True)]


def read_overrides(path: Path | str, spec: Spec,
                   students: Sequence[str] | None = None) -> list[Override]:
    """Read and check an overrides file against the spec (and the graded students).

    Raises:
        OverridesError: naming the file and the first bad line; nothing is returned then.
    """
    path = Path(path)
    points = {q.id: q.points for q in spec.questions}
    out = []
    for line, row in _rows(path):
        def bad(msg: str, line: int = line) -> OverridesError:
            return OverridesError(f"line {line}: {msg}", path=path, line=line)

        if "_bad" in row:
            raise bad("expected a mapping with student, question, points")
        student = str(row.get("student") or "").strip()
        question = str(row.get("question") or "").strip()
        if not student or not question:
            raise bad("student and question are required")
        if question not in points:
            raise bad(f"no question {question!r} in {spec.id} (questions: {', '.join(points)})")
        if students is not None and student not in students:
            raise bad(f"no graded submission for student {student!r}")
        try:
            value = float(str(row.get("points")).strip())
        except ValueError:
            raise bad(f"points should be a number, got {row.get('points')!r}") from None
        if not math.isfinite(value) or not 0 <= value <= points[question]:
            raise bad(f"points for {question} should be between 0 and {points[question]:g}, "
                      f"got {value:g}")
        out.append(Override(student, question, round(value, 2),
                            str(row.get("comment") or "").strip(), line,
                            str(row.get("marker") or "").strip()))
    return out


def answer_sha(text: str | None) -> str:
    """What identifies an answer's text, so that a mark knows whether it changed."""
    if not text:
        return ""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def rubrics_of(spec: Spec, added: Mapping[str, Sequence[RubricItem]],
               ) -> dict[str, dict[str, RubricItem]]:
    """Each question's rubric: the spec's items, then those added or changed while marking."""
    out: dict[str, dict[str, RubricItem]] = {}
    for q in spec.questions:
        items = {i.id: i for i in q.rubric}
        items.update({i.id: i for i in added.get(q.id, ())})
        if items:
            out[q.id] = items
    return out


def marked_points(override: Override, points: float,
                  rubric: Mapping[str, RubricItem] | None = None) -> float:
    """A mark's points: its rubric items' (as they are now) when given by them, else its own."""
    if not override.by_items or rubric is None:
        return override.points
    total = sum(rubric[i].points for i in override.items if i in rubric)
    return round(min(points, max(0.0, total)), 2)


def apply_overrides(result: Mapping[str, Any], overrides: Sequence[Override],
                    rubrics: Mapping[str, Mapping[str, RubricItem]] | None = None,
                    ) -> dict[str, Any]:
    """The result with manual grades applied: scores, outcomes and pending answers redone.

    ``rubrics`` (question id → item id → item) gives each mark made with rubric items
    its items' current points and comments.
    """
    mine = {o.question: o for o in overrides if o.student == result.get("student")}
    out = copy.deepcopy(dict(result))
    if not mine or out.get("status") != "graded":
        return out
    for q in out["questions"]:
        o = mine.get(q["id"])
        if o is None:
            continue
        rubric = (rubrics or {}).get(q["id"])
        points = marked_points(o, q["points"], rubric)
        items = [{"points": rubric[i].points, "text": rubric[i].text}
                 for i in o.items if rubric and i in rubric]
        answer = (q.get("answer") or {}).get("text")
        q["override"] = {"points": points, "comment": o.comment,
                         "automatic_score": q["score"], "items": items, "marker": o.marker,
                         "answer_changed": bool(o.answer_sha)
                         and o.answer_sha != answer_sha(answer)}
        q["score"] = points
        q["outcome"] = ("pass" if points >= q["points"] else "partial" if points > 0
                        else "fail")
        for c in q["checks"]:
            if c["outcome"] == "manual":
                c["outcome"] = "graded"
                c["message"] = "Graded by hand: see the instructor's points and comment."
    out["score"] = round(sum(q["score"] for q in out["questions"]), 2)
    out["manual_pending"] = sum(1 for q in out["questions"] for c in q["checks"]
                                if c["outcome"] == "manual")
    return out
