"""What the grader prints in the terminal: the class's closing table, a student's checks."""

from __future__ import annotations

import statistics

import pytest
import typer
from rich.console import Console

from grader.batch.options import BatchOutcome
from grader.cli.views import (
    closing_line,
    dry_run_view,
    not_graded,
    results_table,
    student_view,
)
from grader.report.selfcheck import public_view


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


def test_a_submission_in_error_says_why_and_whether_the_next_run_tries_again(tmp_path):
    broken = {"student": "s2", "status": "error", "score": 0.0, "max_score": 10.0,
              "file": "/class/s2.ipynb", "error_kind": "notebook",
              "error": "/class/s2.ipynb: not a notebook: the file is not valid JSON"}
    crashed = {"student": "s10", "status": "error", "score": 0.0, "max_score": 10.0,
               "file": "/class/s10.ipynb", "error_kind": "grader",
               "error": "EvaluationError: the evaluation worker died " + "x" * 80}
    fine = {"student": "s1", "status": "graded", "score": 7.0, "max_score": 10.0}
    text = " ".join(_rendered([crashed, broken, fine]).split())
    assert text.index("s1 ") < text.index("s2 ") < text.index("s10 ")  # class-list order
    assert "s2 │ error │ 0 / 10 │ not a notebook: the file is not valid JSON │" in text
    assert ("s10 │ error │ 0 / 10 │ EvaluationError: the evaluation worker died …; the grader "
            "failed, not the notebook: the next run tries again") in text
    unsaid = crashed | {"student": "s4", "error": None}
    assert "s4 │ error │ 0 / 10 │ the grader failed, not the notebook: the next run tries " \
        "again" in " ".join(_rendered([unsaid]).split())
    hostile = broken | {"student": "s3", "error": "not a valid notebook: '[/][bold]x' is bad"}
    text = " ".join(_rendered([hostile]).split())
    assert "not a valid notebook: '[/][bold]x' is bad" in text
    outcome = BatchOutcome(tmp_path, results=[crashed, broken, fine], new_results=2,
                           rechecked=1, retried=1, cached=1, errors=2)
    line = " ".join(_printed(closing_line(outcome, tmp_path / "summary.html")).split())
    assert line == (f"2 new result(s) (1 from their stored run: unchanged notebooks, only the "
                    f"checks changed; 1 unchanged but graded again: the grader had failed on "
                    f"them), 1 unchanged (cached): 1 graded, 2 in error (1 the grader's own "
                    f"failure: the next run grades them again). Reports: "
                    f"{tmp_path / 'summary.html'}")
    plain = BatchOutcome(tmp_path, results=[fine], new_results=1)
    assert " ".join(_printed(closing_line(plain, tmp_path / "s.html")).split()) == (
        f"1 new result(s), 0 unchanged (cached): 1 graded, 0 in error. Reports: "
        f"{tmp_path / 's.html'}")


def test_a_self_check_that_could_not_grade_says_whose_failure_it_was(tmp_path):
    report = tmp_path / "s" / "report.html"
    broken = {"status": "error", "error_kind": "notebook",
              "error": "s.ipynb: not a notebook: the file is not valid JSON [line 1]"}
    text = _printed(not_graded(broken, report))
    assert text.splitlines() == ["not graded: s.ipynb: not a notebook: the file is not valid "
                                 "JSON [line 1]", f"report: {report}"]
    crashed = broken | {"error_kind": "grader", "error": "the kernel could not start [bwrap]"}
    text = " ".join(_printed(not_graded(crashed, report)).split())
    assert text == ("not graded: the kernel could not start [bwrap] This is the grader "
                    "failing, not your notebook: run the same command again. If it fails "
                    f"again, send your instructor this report. report: {report}")


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
    from grader.cli.common import console
    from grader.cli.main import print_view

    check = {"id": "q1.param_count", "outcome": "fail", "score": 0, "max_score": 1,
             "message": "Expected 10 parameters.", "details": {}}
    for outcome, code in (("fail", 1), ("pass", 0)):
        view = public_view([{"id": "q1", "title": "Model", "checks": [check | {
            "outcome": outcome}]}])
        with console.capture() as captured, pytest.raises(typer.Exit) as ended:
            print_view(view, "Demo", None)
        assert ended.value.exit_code == code and "Expected 10 parameters." in captured.get()


def test_a_dry_run_says_who_would_run_and_why_and_who_stands(tmp_path):
    from grader.batch.plan import CHANGED, NEW, Sorted

    students = [f"s{i}" for i in range(1, 8)]
    plan = Sorted(run=[(tmp_path / f"{s}.ipynb", s) for s in students],
                  why=dict.fromkeys(students, NEW) | {"s7": CHANGED},
                  again=[(tmp_path / "r.ipynb", "r", None)], reused=[{"student": "x"}] * 3)
    said = " ".join(_printed(dry_run_view(plan, tmp_path)).split())
    assert said.startswith("dry run: nothing was run or written")
    assert "would run 7 notebook(s): 6 never graded here: s1, s2, s3, s4, s5 and 1 more" in said
    assert "1 changed since graded: s7" in said
    assert "would check 1 again from their stored runs" in said and said.endswith(
        "3 stand as graded: nothing changed")
    nothing = " ".join(_printed(dry_run_view(Sorted(reused=[{"student": "x"}]), tmp_path))
                       .split())
    assert "nothing to grade" in nothing and "would run" not in nothing
