"""Class lists as LMSs export them: read, matched to submissions, written into exports."""

from __future__ import annotations

import csv
import pickle

import pytest

from grader.errors import RosterError
from grader.gradebook.roster import match, read_roster
from grader.report.export import export, with_roster

CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section,Assignment 7 (123)\n"
          "    Points Possible,,,,,10\n"
          "\"Doe, Jane\",4711,s1,jdoe,A,\n"
          "\"Roe, Jo\",4712,s2,jroe,A,\n"
          "\"Student, Test\",9999,,,A,\n"
          "\"Poe, Al\",4713,s3,apoe,B,\n")
MOODLE_DE = ("ID;Vollständiger Name;E-Mail-Adresse;Status;Bewertung\n"
             "Teilnehmer/in 101;Jane Doe;jane@uni.example;;\n"
             "Teilnehmer/in 102;Jo Roe;jo@uni.example;;\n")
BLACKBOARD = ("Last Name\tFirst Name\tUsername\tStudent ID\n"
              "Doe\tJane\tjdoe\t1\n"
              "Roe\tJo\tjroe\t2\n")


def result(student, file, score=5.0):
    return {"student": student, "file": file, "score": score, "max_score": 10.0,
            "status": "graded", "questions": [], "started_at": 1_700_000_000.0}


@pytest.mark.parametrize(("text", "encoding", "kind", "first"), [
    (CANVAS, "utf-8", "canvas", ("Doe, Jane", "jdoe", "4711")),
    (MOODLE_DE, "utf-8-sig", "moodle", ("Jane Doe", "", "101")),  # a BOM, semicolons
    (BLACKBOARD, "utf-16", "blackboard", ("Jane Doe", "jdoe", "jdoe")),  # Excel's UTF-16, tabs
    ("student,name,email,lms_id\ns1,Jane Doe,jane@x.example,77\n", "utf-8", "plain",
     ("Jane Doe", "", "77")),
])
def test_each_lms_class_list_is_read(tmp_path, text, encoding, kind, first):
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    roster = read_roster(path)
    assert roster.kind == kind
    m = roster.members[0]
    assert (m.name, m.login, m.lms_id) == first
    assert "Test" not in " ".join(x.name for x in roster.members)  # Canvas' test student


@pytest.mark.parametrize(("text", "words", "line"), [
    ("student,name\ns1,A\ns1,B\n", "line 3: student 's1' is also on line 2", 3),
    ("Vorname;Nachname\nA;B\n", "line 1: not a class list this grader reads", 1),
    ("", "the class list is empty", 0),
])
def test_a_bad_class_list_is_one_message_naming_the_line(tmp_path, text, words, line):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=words) as err:
        read_roster(path)
    assert err.value.line == line and str(path) in str(err.value)
    assert pickle.loads(pickle.dumps(err.value)).line == line


def test_submissions_match_by_lms_id_then_login_then_name_and_ambiguity_is_never_guessed(
        tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(CANVAS + "\"Doe, Jane\",4714,s4,jdoe2,B,\n")  # a second Jane Doe
    results = [result("doejane", "/in/doejane_4711_555_mlp.ipynb"),  # Canvas' own name
               result("jroe", "/in/jroe.ipynb"),  # the login
               result("Jane_Doe", "/in/Jane Doe.ipynb"),  # two Jane Does: not guessed
               result("stranger", "/in/stranger.ipynb")]
    matched = match(results, read_roster(path))
    assert matched.members["doejane"].lms_id == "4711"
    assert matched.members["jroe"].name == "Roe, Jo"
    assert [m.lms_id for m in matched.ambiguous["Jane_Doe"]] == ["4711", "4714"]
    assert matched.unmatched == ["stranger"]
    assert [m.login for m in matched.missing] == ["apoe", "jdoe2"]


def test_the_lists_ids_reach_the_export_and_students_without_a_submission_get_a_row(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(CANVAS)
    results = [result("jdoe", "/in/jdoe.ipynb", 7.0), result("Jo_Roe", "/in/Jo Roe.ipynb")]
    matched = match(results, read_roster(path))
    rows = with_roster(results, matched, "zero", 10.0)
    (written,) = export(rows, "canvas", "Assignment 7", tmp_path / "out", [])
    lines = list(csv.reader(written.open()))
    assert sorted(lines[2:]) == [["Doe, Jane", "4711", "", "jdoe", "", "7"],
                                 ["Poe, Al", "4713", "", "apoe", "", "0"],
                                 ["Roe, Jo", "4712", "", "jroe", "", "5"]]
    rows = with_roster(results, matched, "empty", 10.0)
    (written,) = export(rows, "moodle", "Assignment 7", tmp_path / "m", [])
    grades = {r["Username"]: r["Grade"] for r in csv.DictReader(written.open())}
    assert grades == {"apoe": "", "jdoe": "7", "Jo_Roe": "5"}
