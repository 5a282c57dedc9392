"""Grade exports that learning-management systems import.

- ``csv``: the plain gradebook table (student, score, max, status, one column per question).
- ``canvas``: Canvas' gradebook import CSV: ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section`` and one column named for the assignment. ``ID`` is the
  Canvas user id from the submission's file name (Canvas' "download submissions" names
  files ``name[_LATE]_<user id>_<submission id>_<file>``).
- ``moodle``: one CSV for both of Moodle's imports. The assignment's "Upload grading
  worksheet" matches rows by ``Identifier`` ("Participant 4711", from the names of
  Moodle's download) and reads ``Grade``, ``Last modified (grade)`` (when the grader
  graded it: Moodle skips a row whose grade was changed there since) and ``Feedback
  comments`` (HTML, as Moodle keeps them); the gradebook's CSV import maps a column
  such as ``Username`` (the student id) to its users.
- ``gradescope``: Gradescope autograder ``results.json`` per submission
  (``<student>/results.json``), one test per check.

Exports use the same results as the reports: the newest run, manual grades applied.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.report.render import write_grades_csv
from grader.students import moodle_participant, roster_order

CANVAS_FILE = re.compile(r"^.+?(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_.+$")
GRADESCOPE_STATUS = {"pass": "passed", "partial": "failed", "fail": "failed", "error": "failed"}
Writer = Callable[[Sequence[Mapping[str, Any]], str, Path, Sequence[str]], list[Path]]


def canvas_user_id(file: str) -> str:
    """The Canvas user id in a submission's file name, or "" when it was not from Canvas."""
    match = CANVAS_FILE.match(Path(file).stem)
    return match.group("user") if match else ""


def _feedback(result: Mapping[str, Any]) -> str:
    if result.get("status") != "graded":
        return f"Not graded: {result.get('error')}"
    lines = []
    for q in result.get("questions", []):
        line = f"{q['title']}: {q['score']:g}/{q['points']:g}"
        if (q.get("override") or {}).get("comment"):
            line += f" ({q['override']['comment']})"
        lines.append(line)
    return "\n".join(lines)


def _csv(results: Sequence[Mapping[str, Any]], title: str, out: Path,
         questions: Sequence[str]) -> list[Path]:
    return [write_grades_csv(results, questions, out / "grades.csv")]


def _canvas(results: Sequence[Mapping[str, Any]], title: str, out: Path,
            questions: Sequence[str]) -> list[Path]:
    path = out / "canvas.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
        writer.writerow(["Points Possible", "", "", "", "",
                         f"{max((r['max_score'] for r in results), default=0):g}"])
        for r in sorted(results, key=lambda r: roster_order(r["student"])):
            writer.writerow([r["student"], canvas_user_id(r["file"]), "", "", "",
                             f"{r['score']:g}"])
    return [path]


def _moodle(results: Sequence[Mapping[str, Any]], title: str, out: Path,
            questions: Sequence[str]) -> list[Path]:
    path = out / "moodle.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Identifier", "Full name", "Username", "Grade", "Maximum Grade",
                         "Last modified (grade)", "Feedback comments"])
        for r in sorted(results, key=lambda r: roster_order(r["student"])):
            name, participant = moodle_participant(r["file"]) or ("", "")
            graded = (datetime.fromtimestamp(r["started_at"], tz=timezone.utc).isoformat(
                timespec="seconds") if r.get("started_at") else "")
            # Moodle keeps feedback comments as HTML: one line each, the text escaped
            comments = "<br>".join(html.escape(line) for line in _feedback(r).split("\n"))
            writer.writerow([f"Participant {participant}" if participant else "", name,
                             r["student"], f"{r['score']:g}", f"{r['max_score']:g}", graded,
                             comments])
    return [path]


def gradescope_results(result: Mapping[str, Any]) -> dict[str, Any]:
    """One submission in Gradescope's autograder results format."""
    tests = []
    for q in result.get("questions", []):
        for c in q["checks"]:
            test = {"name": f"{q['title']}: {c['id'].split('.')[-1]}",
                    "score": c["score"], "max_score": c["max_score"], "output": c["message"],
                    "visibility": "visible" if c.get("public", True) else "after_published"}
            if c["outcome"] in GRADESCOPE_STATUS:
                test["status"] = GRADESCOPE_STATUS[c["outcome"]]
            tests.append(test)
        if q.get("override"):
            tests.append({"name": f"{q['title']}: graded by hand",
                          "score": round(q["score"] - q["override"]["automatic_score"], 2),
                          "max_score": 0, "output": q["override"]["comment"],
                          "visibility": "visible"})
    return {"score": result["score"], "tests": tests,
            "execution_time": round(float((result.get("timings") or {}).get("total", 0))),
            "output": "" if result.get("status") == "graded" else f"Not graded: "
                                                                  f"{result.get('error')}",
            "visibility": "visible"}


def _gradescope(results: Sequence[Mapping[str, Any]], title: str, out: Path,
                questions: Sequence[str]) -> list[Path]:
    paths = []
    for r in results:
        path = out / "gradescope" / r["student"] / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(r), indent=1), encoding="utf-8")
        paths.append(path)
    return paths


FORMATS: dict[str, Writer] = {"csv": _csv, "canvas": _canvas, "moodle": _moodle,
                              "gradescope": _gradescope}


def export(results: Sequence[Mapping[str, Any]], fmt: str, title: str, out: Path,
           questions: Sequence[str]) -> list[Path]:
    """Write ``results`` in an LMS format under ``out``; return the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    return FORMATS[fmt](results, title, out, questions)
