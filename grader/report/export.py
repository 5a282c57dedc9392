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
- ``blackboard``: Blackboard's Grade Center upload ("Work Offline > Upload", Original
  and Ultra): every field quoted, ``Username`` (from the names of Blackboard's
  "Assignment File Download") and one column for the assignment. Its header ends in
  ``|<column id>`` when one is given, so the grades go into that existing column;
  without, Blackboard makes a new column. One row per username: a student's latest
  attempt in the download.
- ``gradescope``: Gradescope autograder ``results.json`` per submission
  (``<student>/results.json``), one test per check.

``column_id`` names the LMS's own column: Canvas' assignment id (header ``Title (id)``),
Blackboard's column id (``Title |id``).

Exports use the same results as the reports: the newest run, manual grades applied.
While written answers await marking, :func:`export` refuses (the LMS would take the
automatic part for the grade); with ``allow_pending`` it writes the automatic points
only, and every file's name says so (``canvas.automatic-only.csv``).
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.errors import GradebookError
from grader.gradebook.result import awaits_marking
from grader.gradebook.roster import Matched, Member
from grader.report.render import write_grades_csv
from grader.students import blackboard_attempt, moodle_participant, roster_order

CANVAS_FILE = re.compile(r"^.+?(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_.+$")
GRADESCOPE_STATUS = {"pass": "passed", "partial": "failed", "fail": "failed", "error": "failed"}
COLUMN_ID = re.compile(r"[0-9]+")
Writer = Callable[[Sequence[Mapping[str, Any]], str, Path, Sequence[str], str], list[Path]]


@dataclass(frozen=True)
class BlackboardRows:
    """Who goes into Blackboard's upload, and who does not.

    Attributes:
        rows: (username, result) pairs in roster order, one per username.
        earlier: students left out because the same username has a later attempt (or,
            in the same attempt, a file that comes first in roster order).
        unnamed: students whose file names are not from Blackboard's download: their
            student id stands in for the username.
    """

    rows: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)


def blackboard_rows(results: Sequence[Mapping[str, Any]]) -> BlackboardRows:
    """One row per Blackboard username: the latest attempt of each student."""
    chosen: dict[str, tuple[str, Mapping[str, Any]]] = {}
    out = BlackboardRows()
    for r in sorted(results, key=lambda r: roster_order(r["student"])):
        named = blackboard_attempt(r["file"]) if r.get("file") else None
        listed = _roster_id(r, ("blackboard",)) or str((r.get("lms") or {}).get("login") or "")
        if named is None and listed:
            named = (listed, "")
        if named is None:
            out.unnamed.append(r["student"])
        username, attempt = named or (r["student"], "")
        if username in chosen and chosen[username][0] >= attempt:
            out.earlier.append(r["student"])
            continue
        if username in chosen:
            out.earlier.append(chosen[username][1]["student"])
        chosen[username] = (attempt, r)
    out.rows.extend(sorted(((u, r) for u, (_, r) in chosen.items()),
                           key=lambda row: roster_order(row[0])))
    out.earlier.sort(key=roster_order)
    return out


def canvas_user_id(file: str) -> str:
    """The Canvas user id in a submission's file name, or "" when it was not from Canvas."""
    match = CANVAS_FILE.match(Path(file).stem)
    return match.group("user") if match else ""


MISSING_POLICIES = ("omit", "zero", "empty")
NO_SUBMISSION = "no submission"


def with_roster(results: Sequence[Mapping[str, Any]], matched: Matched, missing: str,
                max_score: float) -> list[dict[str, Any]]:
    """The results with their students' LMS ids from the class list, and the rest added.

    Students on the list without a submission get a row with ``missing``: ``zero`` (0
    points), ``empty`` (no grade: the LMS leaves theirs as it is) or ``omit`` (none).
    """
    out = []
    for r in results:
        member = matched.members.get(r["student"])
        out.append(dict(r) | ({"lms": _lms(member, matched.kind)} if member else {}))
    if missing != "omit":
        for m in matched.missing:
            out.append({"student": m.key, "file": "", "status": NO_SUBMISSION,
                        "score": 0.0 if missing == "zero" else None, "max_score": max_score,
                        "questions": [], "started_at": None, "lms": _lms(m, matched.kind)})
    return out


def _lms(member: Member, kind: str) -> dict[str, str]:
    return {"kind": kind, "id": member.lms_id, "login": member.login, "name": member.name,
            "email": member.email}


def _roster_id(r: Mapping[str, Any], kinds: tuple[str, ...]) -> str:
    """The LMS id the class list gave this row, if it was written by one of ``kinds``."""
    lms = r.get("lms") or {}
    return str(lms.get("id") or "") if lms.get("kind") in (*kinds, "plain") else ""


def canvas_id(r: Mapping[str, Any]) -> str:
    """A row's Canvas user id: from the file name Canvas gave, else from the class list."""
    return canvas_user_id(str(r.get("file") or "")) or _roster_id(r, ("canvas",))


def moodle_identity(r: Mapping[str, Any]) -> tuple[str, str]:
    """A row's Moodle full name and participant number (file name first, then the list)."""
    found = moodle_participant(r["file"]) if r.get("file") else None
    if found:
        return found
    return str((r.get("lms") or {}).get("name") or ""), _roster_id(r, ("moodle",))


def _score(r: Mapping[str, Any]) -> str:
    """A row's points as the LMS reads them: empty for a student with no grade."""
    return "" if r.get("score") is None else f"{r['score']:g}"


def as_text(value: str) -> str:
    """A student's own words (a name on the LMS) as a spreadsheet cell that runs nothing.

    A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return) gets a leading apostrophe, so opening the CSV in a spreadsheet shows it
    instead of computing it (CSV injection). The LMS imports match on other columns.
    """
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def unmatched_rows(results: Sequence[Mapping[str, Any]], fmt: str) -> list[str]:
    """Students whose rows the LMS cannot match to a user: no id from its own download.

    Canvas matches on the user id, Moodle's worksheet on the participant number; both
    come from the names of the LMS's download. (Blackboard is told by
    :func:`blackboard_rows`; the plain CSV and Gradescope match nothing.)
    """
    if fmt == "canvas":
        return sorted((r["student"] for r in results if not canvas_id(r)), key=roster_order)
    if fmt == "moodle":
        return sorted((r["student"] for r in results if not moodle_identity(r)[1]),
                      key=roster_order)
    return []


def pending_questions(result: Mapping[str, Any]) -> list[str]:
    """The questions of a result whose written answers still await marking."""
    return [q["id"] for q in result.get("questions", [])
            if awaits_marking(q)]


def _feedback(result: Mapping[str, Any]) -> str:
    if result.get("status") != "graded":
        return f"Not graded: {result.get('error')}"
    lines = []
    pending = set(pending_questions(result))
    for q in result.get("questions", []):
        line = f"{q['title']}: {q['score']:g}/{q['points']:g}"
        if q["id"] in pending:
            line = f"{q['title']}: awaiting marking ({q['score']:g} automatic so far)"
        if (q.get("override") or {}).get("comment"):
            line += f" ({q['override']['comment']})"
        lines.append(line)
    return "\n".join(lines)


def _csv(results: Sequence[Mapping[str, Any]], title: str, out: Path,
         questions: Sequence[str], column_id: str) -> list[Path]:
    return [write_grades_csv(results, questions, out / "grades.csv")]


def _canvas(results: Sequence[Mapping[str, Any]], title: str, out: Path,
            questions: Sequence[str], column_id: str) -> list[Path]:
    path = out / "canvas.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         f"{title} ({column_id})" if column_id else title])
        writer.writerow(["Points Possible", "", "", "", "",
                         f"{max((r['max_score'] for r in results), default=0):g}"])
        for r in sorted(results, key=lambda r: roster_order(r["student"])):
            lms = r.get("lms") or {}
            writer.writerow([as_text(str(lms.get("name") or r["student"])), canvas_id(r), "",
                             as_text(str(lms.get("login") or "")), "", _score(r)])
    return [path]


# Moodle's worksheet import finds its columns by their names in the uploading teacher's
# language (mod/assign's `recordid`, core `grade`, `lastmodifiedgrade`, the comments
# plugin's name) and reads the participant number after its `hiddenuser` word; the names
# as Moodle's own language packs spell them. `Username` is for the gradebook's CSV import,
# whose columns the teacher maps by hand.
MOODLE_LANGUAGES: dict[str, dict[str, str]] = {
    "en": {"id": "Identifier", "name": "Full name", "grade": "Grade", "max": "Maximum Grade",
           "modified": "Last modified (grade)", "comments": "Feedback comments",
           "participant": "Participant "},
    "de": {"id": "ID", "name": "Vollständiger Name", "grade": "Bewertung", "max": "Bestwertung",
           "modified": "Zuletzt geändert (Bewertung)", "comments": "Feedback als Kommentar",
           "participant": "Teilnehmer/in"},
    "fr": {"id": "Identifiant", "name": "Nom complet", "grade": "Note", "max": "Note maximale",
           "modified": "Dernière modification (note)", "comments": "Feedback par commentaires",
           "participant": "Participant"},
}


def _moodle(results: Sequence[Mapping[str, Any]], title: str, out: Path,
            questions: Sequence[str], column_id: str, language: str = "en") -> list[Path]:
    words = MOODLE_LANGUAGES[language]
    path = out / "moodle.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([words["id"], words["name"], "Username", words["grade"], words["max"],
                         words["modified"], words["comments"]])
        for r in sorted(results, key=lambda r: roster_order(r["student"])):
            name, participant = moodle_identity(r)
            graded = (datetime.fromtimestamp(r["started_at"], tz=timezone.utc).isoformat(
                timespec="seconds") if r.get("started_at") else "")
            # Moodle keeps feedback comments as HTML: one line each, the text escaped
            comments = "<br>".join(html.escape(line) for line in _feedback(r).split("\n"))
            writer.writerow([f"{words['participant']}{participant}" if participant else "",
                             as_text(name),
                             r["student"], _score(r), f"{r['max_score']:g}", graded,
                             comments])
    return [path]


def _blackboard(results: Sequence[Mapping[str, Any]], title: str, out: Path,
                questions: Sequence[str], column_id: str) -> list[Path]:
    path = out / "blackboard.csv"
    # '|' starts the column id in Blackboard's headers, so a title must not carry one
    header = title.replace("|", "/") + (f" |{column_id}" if column_id else "")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)  # Blackboard wants every field quoted
        writer.writerow(["Username", header])
        for username, r in blackboard_rows(results).rows:
            writer.writerow([username, _score(r)])
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
            "output": _question_table(result) if result.get("status") == "graded"
            else f"Not graded: {result.get('error')}",
            "output_format": "md", "test_output_format": "text", "visibility": "visible"}


def _question_table(result: Mapping[str, Any]) -> str:
    """Each question's points, in Markdown, as Gradescope shows a submission's output."""
    pending = set(pending_questions(result))
    rows = ["| Question | Points |", "|---|---:|"]
    for q in result.get("questions", []):
        title = str(q["title"]).replace("|", "\\|")
        points = ("awaiting marking" if q["id"] in pending else
                  "no points: given code" if not q["points"] else
                  f"{q['score']:g} / {q['points']:g}")
        rows.append(f"| {title} | {points} |")
    return "\n".join(rows)


def _gradescope(results: Sequence[Mapping[str, Any]], title: str, out: Path,
                questions: Sequence[str], column_id: str) -> list[Path]:
    paths = []
    for r in results:
        path = out / "gradescope" / r["student"] / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(r), indent=1), encoding="utf-8")
        paths.append(path)
    return paths


FORMATS: dict[str, Writer] = {"csv": _csv, "canvas": _canvas, "moodle": _moodle,
                              "blackboard": _blackboard, "gradescope": _gradescope}
WITH_COLUMN_ID = ("canvas", "blackboard")


def check_options(fmt: str, column_id: str = "", language: str = "en") -> None:
    """Refuse what :func:`export` cannot write, before anything is read or written.

    Raises:
        ValueError: an unknown format, or a column id the format has no use for or that
            is not a number.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if column_id and fmt not in WITH_COLUMN_ID:
        raise ValueError(f"--column-id is for {' and '.join(WITH_COLUMN_ID)} only, "
                         f"not {fmt}")
    if language not in MOODLE_LANGUAGES:
        raise ValueError(f"--lms-language {language!r}: Moodle's columns are known in "
                         f"{', '.join(MOODLE_LANGUAGES)}")
    if language != "en" and fmt != "moodle":
        raise ValueError(f"--lms-language is for moodle only, not {fmt}")
    if column_id and not COLUMN_ID.fullmatch(column_id):
        raise ValueError(f"--column-id {column_id!r} is not a number (Canvas' assignment "
                         "id, or the number after '|' in a Blackboard Grade Center download)")


AUTOMATIC_ONLY = "automatic-only"  # in the name of every file exported with pending marks


def export(results: Sequence[Mapping[str, Any]], fmt: str, title: str, out: Path,
           questions: Sequence[str], column_id: str = "",
           allow_pending: bool = False, language: str = "en") -> list[Path]:
    """Write ``results`` in an LMS format under ``out``; return the files written.

    Raises:
        ValueError: options :func:`check_options` refuses.
        GradebookError: answers await marking and ``allow_pending`` is not set.
    """
    check_options(fmt, column_id, language)
    pending = {r["student"]: n for r in results if (n := len(pending_questions(r)))}
    if pending and not allow_pending:
        raise GradebookError(
            f"{sum(pending.values())} written answer(s) of {len(pending)} student(s) still "
            "await marking: the LMS would take the automatic points for the grade. Mark "
            "them (`grader mark OUT`, or `grader report OUT --overrides FILE`), or export the "
            "automatic points only with --allow-pending (the files' names then say "
            "automatic-only)", path=out)
    out.mkdir(parents=True, exist_ok=True)
    written = (_moodle(results, title, out, questions, column_id, language) if fmt == "moodle"
               else FORMATS[fmt](results, title, out, questions, column_id))
    if not pending:
        return written
    renamed = []
    for path in written:  # the name says it: automatic points only
        top = path if path.parent == out else out / path.relative_to(out).parts[0]
        target = top.with_name(f"{top.stem}.{AUTOMATIC_ONLY}{top.suffix}")
        if top.exists():
            if target.exists():
                _remove(target)
            top.rename(target)
        renamed.append(target / path.relative_to(top) if path != top else target)
    return renamed


def _remove(path: Path) -> None:
    """A file, or a folder with what it holds."""
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
