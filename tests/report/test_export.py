"""Exports in the formats Canvas, Moodle and Gradescope import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.report.export import (
    as_text,
    blackboard_rows,
    canvas_user_id,
    export,
    gradescope_results,
)


def result(student, score, file=None, comment=""):
    q = {"id": "q1", "title": "Q1", "points": 2, "score": score, "outcome": "pass",
         "checks": [{"id": "q1.accuracy_threshold", "outcome": "pass", "score": score,
                     "max_score": 2, "message": "90 %"},
                    {"id": "q1.secret", "outcome": "fail", "score": 0, "max_score": 0,
                     "message": "hidden", "public": False}]}
    if comment:
        q["override"] = {"points": score, "comment": comment, "automatic_score": 1.0}
    return {"student": student, "file": file or f"/x/{student}.ipynb", "status": "graded",
            "score": score, "max_score": 2.0, "questions": [q], "timings": {"total": 12.4}}


RESULTS = [result("doejane", 2.0, "/in/doejane_LATE_4711_99_mlp.ipynb", "Fixed by hand"),
           result("roe", 1.5)]


def test_canvas_user_ids_come_from_canvas_file_names():
    assert canvas_user_id("/in/doejane_LATE_4711_99_mlp.ipynb") == "4711"
    assert canvas_user_id("smith_12_34_a_b.ipynb") == "12"
    assert canvas_user_id("plain.ipynb") == ""


def test_canvas_csv_has_the_columns_canvas_requires(tmp_path):
    [path] = export(RESULTS, "canvas", "Assignment 7", tmp_path, ["q1"])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 7"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "2"
    assert rows[2] == ["doejane", "4711", "", "", "", "2"] and rows[3][-1] == "1.5"


def test_a_column_id_puts_canvas_grades_into_that_assignment(tmp_path):
    [path] = export(RESULTS, "canvas", "Assignment 7", tmp_path, ["q1"], column_id="5501")
    assert next(csv.reader(path.open()))[-1] == "Assignment 7 (5501)"


BB = "HW 7_{}_attempt_{}_mlp.ipynb"


def test_blackboard_csv_is_a_grade_center_upload_one_row_per_username(tmp_path):
    results = [result("jdoe", 1.0, BB.format("jdoe", "2026-11-20-23-58-01")),
               result("jdoe-2", 2.0, BB.format("jdoe", "2026-11-21-08-00-00")),
               result("jane_uni.edu", 1.5, BB.format("jane@uni.edu", "2026-11-20-10-00-00")),
               result("roe", 0.5)]
    [path] = export(results, "blackboard", "HW 7 | MLP", tmp_path, ["q1"])
    text = path.read_text(encoding="utf-8")
    # every field quoted, the username as Blackboard spells it, the latest attempt only
    assert text.splitlines() == ['"Username","HW 7 / MLP"', '"jane@uni.edu","1.5"',
                                 '"jdoe","2"', '"roe","0.5"']
    [path] = export(results, "blackboard", "HW 7", tmp_path, ["q1"], column_id="123456")
    assert path.read_text(encoding="utf-8").splitlines()[0] == '"Username","HW 7 |123456"'
    rows = blackboard_rows(results)
    assert rows.earlier == ["jdoe"] and rows.unnamed == ["roe"]
    # the same attempt twice (two notebooks in it): the first in roster order stays
    same = [result("jdoe", 1.0, BB.format("jdoe", "2026-11-20-23-58-01")),
            result("jdoe-2", 2.0, BB.format("jdoe", "2026-11-20-23-58-01"))]
    rows = blackboard_rows(same)
    assert [(u, r["student"]) for u, r in rows.rows] == [("jdoe", "jdoe")]
    assert rows.earlier == ["jdoe-2"]


@pytest.mark.parametrize(("fmt", "column_id", "says"), [
    ("csv", "12", "for canvas and blackboard only"), ("moodle", "7", "not moodle"),
    ("canvas", "12a", "is not a number"), ("blackboard", "12\n", "is not a number"),
    ("blackboard", "١٢", "is not a number")])
def test_a_column_id_the_format_cannot_use_is_refused(tmp_path, fmt, column_id, says):
    with pytest.raises(ValueError, match=says):
        export(RESULTS, fmt, "A7", tmp_path / "x", ["q1"], column_id=column_id)
    assert not (tmp_path / "x").exists()


def test_moodle_csv_is_a_grading_worksheet_moodle_uploads(tmp_path):
    moodle = result("Jane_Doe_4711", 1.5, "/in/Jane Doe_4711_assignsubmission_file_/mlp.ipynb")
    moodle["started_at"] = 1_795_000_000  # when it was graded
    [path] = export([*RESULTS, moodle], "moodle", "A7", tmp_path, ["q1"])
    rows = {r["Username"]: r for r in csv.DictReader(path.open())}
    # the columns Moodle's "Upload grading worksheet" reads, by these names
    assert {"Identifier", "Grade", "Last modified (grade)", "Feedback comments"} <= set(
        rows["doejane"])
    jane = rows["Jane_Doe_4711"]
    assert jane["Identifier"] == "Participant 4711" and jane["Full name"] == "Jane Doe"
    assert jane["Grade"] == "1.5" and jane["Maximum Grade"] == "2"
    assert jane["Last modified (grade)"] == "2026-11-18T11:06:40+00:00"
    doe = rows["doejane"]  # not from Moodle: the gradebook import maps Username instead
    assert doe["Identifier"] == "" and doe["Grade"] == "2"
    assert "Q1: 2/2 (Fixed by hand)" in doe["Feedback comments"]
    lines = result("x", 1.0, comment="x < y")
    lines["questions"].append(lines["questions"][0] | {"title": "Q2"})
    [path] = export([lines], "moodle", "A7", tmp_path, ["q1"])
    comments = next(csv.DictReader(path.open()))["Feedback comments"]
    assert comments == "Q1: 1/2 (x &lt; y)<br>Q2: 1/2 (x &lt; y)"  # Moodle keeps it as HTML


def test_a_name_that_starts_like_a_formula_is_kept_as_text(tmp_path):
    """A student's LMS name is theirs to choose: opened in a spreadsheet, it computes nothing."""
    odd = result("x_4711", 1.0, "/in/=1+2 Doe_4711_assignsubmission_file_/mlp.ipynb")
    [path] = export([odd], "moodle", "A7", tmp_path, ["q1"])
    row = next(csv.DictReader(path.open()))
    assert row["Full name"] == "'=1+2 Doe" and row["Identifier"] == "Participant 4711"
    assert [as_text(v) for v in ("@SUM(A1)", "-2", "\tx", "Jane", "", "O'Neil")] == [
        "'@SUM(A1)", "'-2", "'\tx", "Jane", "", "O'Neil"]


def test_gradescope_results_per_submission(tmp_path):
    paths = export(RESULTS, "gradescope", "A7", tmp_path, ["q1"])
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == \
        ["gradescope/doejane/results.json", "gradescope/roe/results.json"]
    doc = json.loads(paths[0].read_text())
    assert doc["score"] == 2.0 and doc["execution_time"] == 12
    names = [t["name"] for t in doc["tests"]]
    assert names == ["Q1: accuracy_threshold", "Q1: secret", "Q1: graded by hand"]
    assert doc["tests"][0]["status"] == "passed" and doc["tests"][1]["visibility"] == \
        "after_published"
    assert doc["tests"][2]["score"] == 1.0
    error = gradescope_results({"student": "x", "status": "error", "error": "bad JSON",
                                "score": 0.0, "questions": []})
    assert error["output"] == "Not graded: bad JSON" and error["tests"] == []


def test_plain_csv_and_unknown_format(tmp_path):
    [path] = export(RESULTS, "csv", "A7", tmp_path, ["q1"])
    assert path.name == "grades.csv" and "doejane,2,2,graded,0,2" in path.read_text()
    with pytest.raises(ValueError, match="unknown format"):
        export(RESULTS, "ilias", "A7", tmp_path, ["q1"])


def _pending(student: str) -> dict:
    r = result(student, 1.5)
    r["questions"].append({"id": "a1", "title": "A1", "points": 1, "score": 0.0,
                           "outcome": "manual", "checks": [
                               {"id": "a1.answer_present", "outcome": "manual", "score": 0.0,
                                "max_score": 1, "message": "Answer found"}]})
    return r | {"max_score": 3.0, "manual_pending": 1}


@pytest.mark.parametrize("fmt", ["csv", "canvas", "moodle", "blackboard", "gradescope"])
def test_pending_marks_stop_an_export_unless_allowed_and_then_the_names_say_so(tmp_path, fmt):
    from grader.errors import GradebookError

    results = [_pending("doejane"), result("roe", 2.0)]
    with pytest.raises(GradebookError, match="1 written answer.* of 1 student.*--allow-pending"):
        export(results, fmt, "A7", tmp_path / "out", ["q1", "a1"])
    assert not (tmp_path / "out").exists()  # nothing written
    written = export(results, fmt, "A7", tmp_path / "out", ["q1", "a1"], allow_pending=True)
    assert written and all(p.exists() and "automatic-only" in str(p.relative_to(tmp_path))
                           for p in written)
    names = [p.name for p in (tmp_path / "out").iterdir()]
    assert all("automatic-only" in n for n in names), names
    # all marked: the plain names again
    done = export([result("roe", 2.0)], fmt, "A7", tmp_path / "done", ["q1"])
    assert all("automatic-only" not in str(p) for p in done)


def test_feedback_says_an_answer_awaits_marking_never_zero(tmp_path):
    [path] = export([_pending("doejane")], "moodle", "A7", tmp_path, ["q1", "a1"],
                    allow_pending=True)
    feedback = list(csv.DictReader(path.open()))[0]["Feedback comments"]
    assert "A1: awaiting marking (0 automatic so far)" in feedback and "A1: 0/1" not in feedback


@pytest.mark.parametrize(("language", "header", "identifier"), [
    ("en", ["Identifier", "Full name", "Username", "Grade", "Maximum Grade",
            "Last modified (grade)", "Feedback comments"], "Participant 4711"),
    ("de", ["ID", "Vollständiger Name", "Username", "Bewertung", "Bestwertung",
            "Zuletzt geändert (Bewertung)", "Feedback als Kommentar"], "Teilnehmer/in4711"),
    ("fr", ["Identifiant", "Nom complet", "Username", "Note", "Note maximale",
            "Dernière modification (note)", "Feedback par commentaires"], "Participant4711"),
])
def test_moodle_worksheet_in_the_sites_language(tmp_path, language, header, identifier):
    """Moodle's import finds columns by their names in the teacher's language."""
    moodle = result("jane", 2.0, "/dl/Jane Doe_4711_assignsubmission_file_mlp.ipynb")
    [path] = export([moodle], "moodle", "A7", tmp_path, ["q1"], language=language)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == header and rows[1][0] == identifier


def test_a_language_for_another_format_is_refused():
    with pytest.raises(ValueError, match="--lms-language is for moodle only"):
        export(RESULTS, "canvas", "A7", Path("/nonexistent"), ["q1"], language="de")
    with pytest.raises(ValueError, match="known in en, de, fr"):
        export(RESULTS, "moodle", "A7", Path("/nonexistent"), ["q1"], language="it")


def test_rows_the_lms_cannot_match_are_named():
    from grader.report.export import unmatched_rows

    results = [result("doejane", 2.0, "/in/doejane_LATE_4711_99_mlp.ipynb"),
               result("roe", 1.5),
               result("jane", 1.0, "/dl/Jane Doe_4711_assignsubmission_file_mlp.ipynb")]
    assert unmatched_rows(results, "canvas") == ["jane", "roe"]
    assert unmatched_rows(results, "moodle") == ["doejane", "roe"]
    assert unmatched_rows(results, "csv") == []
