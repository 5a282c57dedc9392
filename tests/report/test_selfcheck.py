"""What a student sees: public checks in full with hints, hidden checks only counted."""

from __future__ import annotations

from grader.report.selfcheck import (
    FailedCell,
    failed_cells,
    hidden_line,
    public_view,
    stopped_early,
)


def chk(cid, outcome, score, max_score, public=True, hint=None, **details):
    return {"id": cid, "outcome": outcome, "score": score, "max_score": max_score,
            "message": f"{cid} is {outcome}", "public": public, "hint": hint,
            "details": details}


QUESTIONS = [
    {"id": "q1", "title": "Model", "checks": [
        chk("q1.param_count", "fail", 0, 1, hint="print model.summary()"),
        chk("q1.layer_structure", "pass", 1, 1)]},
    {"id": "q2", "title": "Curves", "checks": [
        chk("q2.history_length", "pass", 1, 1),
        chk("q2.overfitting_gap", "pass", 0.5, 0.5, public=False)]},
    {"id": "a1", "title": "Answer", "checks": [chk("a1.answer_present", "manual", 0, 0)]},
    {"id": "q3", "title": "Hidden only", "checks": [
        chk("q3.secret", "skipped", 0, 0, hidden=True, points=2.0)]},
]


def test_public_rows_hints_and_hidden_count():
    view = public_view(QUESTIONS)
    assert [r.id for r in view.rows] == ["q1", "q2", "a1"]  # q3 has nothing public
    q1, q2, a1 = view.rows
    assert q1.mark == "✘" and q1.outcome == "partial" and q1.hints == ["print model.summary()"]
    assert q1.message == "q1.param_count is fail"
    assert q2.mark == "✔" and q2.points == 1  # the hidden half point is not shown
    assert a1.mark == "✎"
    assert (view.score, view.max_score) == (2, 3)
    assert (view.hidden_checks, view.hidden_points) == (2, 2.5)
    assert hidden_line(view) == ("2 hidden check(s) worth 2.5 point(s) are not shown: your "
                                 "instructor's grader runs them.")
    assert view.failed


def test_awaiting_manual_grades_is_not_a_failure():
    view = public_view(QUESTIONS[1:3])
    assert not view.failed and hidden_line(public_view(QUESTIONS[2:3])) is None


def test_a_hint_the_message_already_gives_is_not_said_twice():
    from grader.report.selfcheck import hint_to_show

    said = chk("q1.accuracy_threshold", "fail", 0, 1, hint="Train a few more epochs.") | {
        "message": "Test accuracy 91 %: partial credit. Train a few   more epochs."}
    assert hint_to_show(said) is None
    assert hint_to_show(said | {"hint": "Print `model.summary()`."}) == "Print `model.summary()`."
    assert hint_to_show(said | {"outcome": "pass", "hint": "Print it."}) is None
    view = public_view([{"id": "q1", "title": "Accuracy", "checks": [said]}])
    assert view.rows[0].hints == []


def test_checks_failing_for_one_reason_say_it_once_in_their_row():
    same = "No model to grade for this question: no model fits."
    checks = [chk("q1.param_count", "fail", 0, 1) | {"message": same},
              chk("q1.sweep", "fail", 0, 1),
              chk("q1.accuracy_threshold", "fail", 0, 1) | {"message": same}]
    view = public_view([{"id": "q1", "title": "Sweep", "checks": checks}])
    assert view.rows[0].message == f"{same} q1.sweep is fail"


def test_a_notebook_that_stopped_says_where_and_what_was_lost():
    died = {"kernel_died_in": 2, "failures": [
        {"cell": 1, "ename": "NameError", "evalue": "name 'x' is not defined"},
        {"cell": 2, "ename": "KernelDied", "evalue": "the kernel died while running this cell"}]}
    said = stopped_early(died)
    assert said.startswith("Your notebook stopped in cell 2: the kernel died while running")
    assert "models it had built were lost" in said  # the probe never ran
    assert [c.line for c in failed_cells(died)] == ["cell 1: NameError: name 'x' is not defined"]
    late = stopped_early({"deadline_hit": True, "cells_skipped": 3})
    assert "last 3 code cell(s) were skipped" in late and "lost" not in late
    assert stopped_early({"failures": died["failures"][:1]}) is None


def test_failed_cells_are_one_short_line_each_and_counted_past_the_limit():
    many = {"failures": [{"cell": n, "ename": "ValueError", "evalue": "bad\n  value " * 40}
                         for n in range(1, 9)]}
    lines = [c.line for c in failed_cells(many, limit=5)]
    assert len(lines) == 6 and lines[-1] == "and 3 more (see the report)"
    assert lines[0].startswith("cell 1: ValueError: bad value bad value") and "\n" not in lines[0]
    assert len(lines[0]) <= len("cell 1: ValueError: ") + 160
    assert failed_cells({"failures": [{"cell": 4, "ename": "SystemExit", "evalue": ""}]}) == [
        FailedCell("cell 4: SystemExit")]


def test_a_cell_that_failed_because_of_the_grader_s_setting_says_what_to_change():
    colab = {"failures": [
        {"cell": 2, "ename": "ModuleNotFoundError", "evalue": "No module named 'google.colab'"},
        {"cell": 3, "ename": "NameError", "evalue": "name 'drive' is not defined"}]}
    first, second = failed_cells(colab)
    assert first.line == "cell 2: ModuleNotFoundError: No module named 'google.colab'"
    assert "not Colab" in first.advice
    assert second == FailedCell("cell 3: NameError: name 'drive' is not defined")
