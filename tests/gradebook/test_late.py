"""Late submissions: times from a CSV or the file, and the spec's penalty."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone

import pytest

from grader.assignment.spec import LateRule
from grader.assignment.spec_toml import load_spec
from grader.errors import SpecError, SubmissionTimesError
from grader.gradebook.late import apply_late, penalty, read_submission_times
from tests.assignment.test_spec import GOOD

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
RULE = LateRule(DUE, penalty_per_day=0.1, max_penalty=0.3, grace_minutes=10)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_penalty_counts_started_days_after_the_grace_period():
    assert penalty(RULE, at("2026-12-02T00:05:00+00:00")) == (0, 0.0)  # within grace
    assert penalty(RULE, at("2026-12-02T00:10:00+00:00")) == (1, 0.1)
    assert penalty(RULE, at("2026-12-03T00:10:00+01:00")) == (1, 0.1)  # 23:10 UTC
    assert penalty(RULE, at("2026-12-09T00:00:00+00:00")) == (7, 0.3)  # capped at 0.3


def test_late_result_loses_a_fraction_of_its_score():
    result = {"student": "doejane", "status": "graded", "score": 8.0,
              "file_time": "2026-12-01T12:00:00+00:00"}
    on_time = apply_late(result, RULE, {})
    assert on_time["score"] == 8.0 and on_time["late"]["days"] == 0
    assert on_time["late"]["source"] == "file modification time"
    late = apply_late(result, RULE, {"doejane": at("2026-12-03T12:00:00+00:00")})
    assert late["score"] == 6.4 and late["late"]["points_lost"] == 1.6
    assert late["late"]["source"] == "submission times file" and result["score"] == 8.0
    assert "late" not in apply_late(result, None, {})


def test_submission_times_csv_names_bad_lines(tmp_path):
    good = tmp_path / "t.csv"
    good.write_text("student,submitted_at\ndoejane,2026-12-02T10:00:00+01:00\n")
    assert read_submission_times(good)["doejane"].utcoffset().total_seconds() == 3600
    for text, words in (("student,submitted_at\ndoejane,yesterday\n", "line 2: 'yesterday'"),
                        ("student,submitted_at\ndoejane,2026-12-02T10:00:00\n",
                         "line 2: the time needs a time zone"),
                        ("student,when\n", "line 1: the header")):
        good.write_text(text)
        with pytest.raises(SubmissionTimesError, match=words):
            read_submission_times(good)


def test_late_rule_in_the_spec(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(GOOD + textwrap.dedent("""
        [late]
        due = 2026-12-01T23:59:00+01:00
        penalty_per_day = 0.2
    """))
    rule = load_spec(path).late
    assert rule is not None and rule.penalty_per_day == 0.2 and rule.max_penalty == 1.0
    path.write_text(GOOD + "[late]\ndue = 2026-12-01T23:59:00\npenalty_per_day = 0.2\n")
    with pytest.raises(SpecError, match="needs a time zone"):
        load_spec(path)
