"""Late submissions: when each notebook was handed in, and the spec's penalty for lateness.

Submission times come from an optional CSV (``student,submitted_at`` with ISO 8601
times) or else from the notebook file's modification time, recorded when it was
graded. The penalty takes a fraction of the earned score per started day late.
"""

from __future__ import annotations

import copy
import csv
import io
import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from grader.assignment.spec import LateRule
from grader.errors import SubmissionTimesError


def file_time(path: Path) -> str:
    """A file's modification time as an ISO 8601 UTC string."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).isoformat()


def read_submission_times(path: Path | str) -> dict[str, datetime]:
    """``student,submitted_at`` rows; every error names the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionTimesError(f"cannot read it ({exc})", path=path, line=0) from None
    reader = csv.DictReader(io.StringIO(text))
    if not {"student", "submitted_at"} <= set(reader.fieldnames or []):
        raise SubmissionTimesError("line 1: the header needs the columns student,submitted_at",
                                   path=path, line=1)
    out = {}
    for row in reader:
        line = reader.line_num
        try:
            when = datetime.fromisoformat(str(row["submitted_at"]).strip())
        except ValueError:
            raise SubmissionTimesError(f"line {line}: {row['submitted_at']!r} is not an ISO "
                                       "8601 time", path=path, line=line) from None
        if when.tzinfo is None:
            raise SubmissionTimesError(f"line {line}: the time needs a time zone "
                                       "(e.g. +01:00 or Z)", path=path, line=line)
        out[str(row["student"]).strip()] = when
    return out


def penalty(rule: LateRule, submitted: datetime) -> tuple[int, float]:
    """Started days late (0 when on time) and the fraction of the score lost."""
    late = submitted - (rule.due + timedelta(minutes=rule.grace_minutes))
    if late <= timedelta(0):
        return 0, 0.0
    days = math.ceil(late / timedelta(days=1))
    return days, min(rule.max_penalty, days * rule.penalty_per_day)


def apply_late(result: Mapping[str, Any], rule: LateRule | None,
               times: Mapping[str, datetime]) -> dict[str, Any]:
    """The result with its submission time and, when late, the penalty applied to its score."""
    out = copy.deepcopy(dict(result))
    when, source = times.get(out.get("student", "")), "submission times file"
    if when is None and out.get("file_time"):
        when, source = datetime.fromisoformat(out["file_time"]), "file modification time"
    if rule is None or when is None or out.get("status") != "graded":
        return out
    days, fraction = penalty(rule, when)
    lost = round(out["score"] * fraction, 2)
    out["late"] = {"submitted_at": when.isoformat(), "source": source,
                   "due": rule.due.isoformat(), "days": days, "fraction": fraction,
                   "points_lost": lost, "score_before": out["score"]}
    out["score"] = round(out["score"] - lost, 2)
    return out
