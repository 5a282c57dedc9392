"""Manual grades: an overrides file is checked line by line, stored, and applied."""

from __future__ import annotations

import pytest

from grader.assignment.pack import find_pack
from grader.errors import OverridesError
from grader.gradebook.overrides import Override, apply_overrides, read_overrides
from grader.gradebook.store import Gradebook

SPEC = find_pack("dlcourse_mlp").spec


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_and_yaml_read_the_same_grades(tmp_path):
    csv_file = write(tmp_path, "m.csv", "student,question,points,comment\n"
                     "doejane,a1_training_time,1,Good\nroe,a2_accuracy,0.5,\n")
    yaml_file = write(tmp_path, "m.yaml",
                      "- {student: doejane, question: a1_training_time, points: 1, "
                      "comment: Good}\n- student: roe\n  question: a2_accuracy\n"
                      "  points: 0.5\n")
    a, b = read_overrides(csv_file, SPEC), read_overrides(yaml_file, SPEC)
    assert [(o.student, o.question, o.points, o.comment) for o in a] == \
        [(o.student, o.question, o.points, o.comment) for o in b] == \
        [("doejane", "a1_training_time", 1.0, "Good"), ("roe", "a2_accuracy", 0.5, "")]
    assert [o.line for o in a] == [2, 3] and [o.line for o in b] == [1, 2]


@pytest.mark.parametrize(("name", "text", "line", "words"), [
    ("m.csv", "student,question,points\ndoejane,a1_training_time,1\ndoejane,a9,1\n", 3,
     "no question 'a9'"),
    ("m.csv", "student,question,points\ndoejane,a1_training_time,lots\n", 2, "should be a number"),
    ("m.csv", "student,question,points\ndoejane,a1_training_time,2\n", 2, "between 0 and 1"),
    ("m.csv", "student,question,points\nnobody,a1_training_time,1\n", 2, "no graded submission"),
    ("m.csv", "name,points\ndoejane,1\n", 1, "missing: student, question"),
    ("m.yaml", "- student: doejane\n  question: a1_training_time\n points: 1\n", 3,
     "not valid YAML"),
    ("m.yaml", "- student: doejane\n  question: a1_training_time\n  points: 1\n- just text\n", 4,
     "expected a mapping"),
])
def test_bad_lines_are_named(tmp_path, name, text, line, words):
    with pytest.raises(OverridesError) as info:
        read_overrides(write(tmp_path, name, text), SPEC, students=["doejane"])
    assert info.value.line == line and f"line {line}:" in str(info.value)
    assert words in str(info.value) and name in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(OverridesError, match="not found"):
        read_overrides(tmp_path / "none.csv", SPEC)


RESULT = {"student": "doejane", "status": "graded", "score": 5.0, "manual_pending": 2,
          "questions": [
              {"id": "q1", "points": 2, "score": 2.0, "outcome": "pass",
               "checks": [{"id": "q1.c", "outcome": "pass", "score": 2.0, "max_score": 2}]},
              {"id": "a1", "points": 1, "score": 0.0, "outcome": "manual",
               "checks": [{"id": "a1.answer_present", "outcome": "manual", "score": 0.0,
                           "max_score": 1, "message": "awaiting manual grade"}]},
              {"id": "a2", "points": 1, "score": 0.0, "outcome": "manual",
               "checks": [{"id": "a2.answer_present", "outcome": "manual", "score": 0.0,
                           "max_score": 1, "message": "awaiting manual grade"}]}]}


def test_applying_grades_redoes_score_outcome_and_pending_answers():
    graded = apply_overrides(RESULT, [Override("doejane", "a1", 0.5, "Half right"),
                                      Override("roe", "a2", 1.0)])
    a1 = graded["questions"][1]
    assert a1["score"] == 0.5 and a1["outcome"] == "partial"
    assert a1["override"] == {"points": 0.5, "comment": "Half right", "automatic_score": 0.0,
                              "items": [], "marker": "", "answer_changed": False}
    assert a1["checks"][0]["outcome"] == "graded"
    assert graded["score"] == 2.5 and graded["manual_pending"] == 1
    assert RESULT["questions"][1]["score"] == 0.0  # the input is not changed


def test_gradebook_keeps_every_grade_and_serves_the_newest(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record_overrides("demo", [Override("doejane", "a1", 0.5, "first", 2)], "a.csv")
        book.record_overrides("demo", [Override("doejane", "a1", 1.0, "second", 2),
                                       Override("roe", "a1", 0.0, "", 3)], "b.csv")
        assert book.count("overrides") == 3
        assert [(o.student, o.points, o.comment) for o in book.overrides("demo")] == \
            [("doejane", 1.0, "second"), ("roe", 0.0, "")]
        assert book.overrides("other") == []
