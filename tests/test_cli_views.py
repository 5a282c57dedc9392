"""What the grader prints in the terminal: the class's closing table, a student's checks."""

from __future__ import annotations

import statistics

import pytest
import typer
from rich.console import Console

from grader.cli_views import results_table, student_view
from grader.selfcheck import public_view


def _printed(*items) -> str:
    console = Console(record=True, width=200)
    for item in items:
        console.print(item)
    return console.export_text()


def _rendered(results: list[dict]) -> str:
    return _printed(results_table(results, "class"))


def test_a_large_class_gets_the_spread_and_who_is_in_error():
    results = [{"student": f"s{i:03d}", "status": "graded", "score": float(i % 11),
                "max_score": 10.0} for i in range(60)]
    results[7] = results[7] | {"status": "error", "score": 0.0}
    text = _rendered(results)
    scores = [r["score"] for r in results if r["status"] == "graded"]
    assert "60 submissions" in text and "s000" not in text and "graded   │ 59" in text
    assert (f"median {statistics.median(scores):g}, mean {statistics.fmean(scores):.2f}, "
            "lowest 0, highest 10 (of 10)") in text
    assert "in error │ 1: s007" in text
    assert "stopped early" not in text
    few = _rendered(results[:3])
    assert "s000" in few and "s002" in few and "median" not in few
    assert "run" not in few.split("s000")[0]  # every run went plainly: no column for it
    results[3] |= {"execution": {"kernel_died_in": 2, "failures": [
        {"cell": 1, "ename": "NameError"}, {"cell": 2, "ename": "KernelDied"}]}}
    results[4] |= {"execution": {"deadline_hit": True, "failures": []}}
    few = " ".join(_rendered(results[2:5]).split())
    assert "s003 │ graded │ 3 / 10 │ kernel died in cell 2, 1 cell(s) raised" in few
    assert "s004 │ graded │ 4 / 10 │ past its time limit" in few
    assert "stopped early │ 2: s003, s004" in " ".join(_rendered(results).split())
    for r in results[10:35]:
        r["execution"] = {"deadline_hit": True}
    names = ", ".join(f"s{i:03d}" for i in (3, 4, *range(10, 28)))
    assert f"stopped early │ 27: {names} and 7 more" in " ".join(_rendered(results).split())


def test_a_student_is_told_where_the_notebook_stopped_and_which_cells_failed():
    questions = [{"id": "q1", "title": "Model", "checks": [
        {"id": "q1.param_count", "outcome": "fail", "score": 0, "max_score": 1,
         "message": "No model to grade.", "details": {}}]}]
    execution = {"kernel_died_in": 3, "failures": [
        {"cell": 1, "ename": "ModuleNotFoundError", "evalue": "No module named 'google.colab'"},
        {"cell": 2, "ename": "NameError", "evalue": "name 'np' is not defined"},
        {"cell": 3, "ename": "KernelDied", "evalue": "the kernel was killed for using more "
                                                    "than 4 GiB of memory"}]}
    compat = [{"cell": 4, "line": 2, "code": "SGD(lr=0.1)", "modern": "SGD(learning_rate=0.1)"}]
    text = " ".join(_printed(*student_view(public_view(questions), "Demo", compat,
                                           execution)).split())
    assert "stopped early: Your notebook stopped in cell 3: the kernel was killed" in text
    assert "failed cell 2: NameError: name 'np' is not defined" in text
    assert "No module named 'google.colab' → The grader runs your notebook in plain Jupyter" in text
    assert "failed cell 3" not in text  # the dead kernel is said once, above
    assert "old Keras spelling cell 4, line 2: SGD(lr=0.1) → SGD(learning_rate=0.1)" in text


def test_print_view_exits_1_when_a_public_check_failed_and_0_otherwise():
    from grader.cli import console, print_view

    check = {"id": "q1.param_count", "outcome": "fail", "score": 0, "max_score": 1,
             "message": "Expected 10 parameters.", "details": {}}
    for outcome, code in (("fail", 1), ("pass", 0)):
        view = public_view([{"id": "q1", "title": "Model", "checks": [check | {
            "outcome": outcome}]}])
        with console.capture() as captured, pytest.raises(typer.Exit) as ended:
            print_view(view, "Demo", None)
        assert ended.value.exit_code == code and "Expected 10 parameters." in captured.get()
