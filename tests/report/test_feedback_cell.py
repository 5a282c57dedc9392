"""The feedback cell on top of the notebook handed back: what it says, and what it hides."""

from __future__ import annotations

import nbformat

from grader.notebook import INJECTED_TAG
from grader.report.feedback_cell import FEEDBACK_TAG, feedback_notebook, render_feedback_cell


def check(cid, outcome, score, max_score, message, public=True, hint=""):
    return {"id": cid, "outcome": outcome, "score": score, "max_score": max_score,
            "message": message, "public": public, "hint": hint, "details": {}}


def result(executed=None, **extra):
    questions = [
        {"id": "q1", "title": "Build | train", "points": 4, "score": 1.5, "outcome": "partial",
         "checks": [check("q1.acc", "partial", 1.5, 3, "Test accuracy 91 %: partial credit.",
                          hint="Train a few more epochs."),
                    check("q1.secret", "fail", 0, 1, "the secret threshold", public=False)]},
        {"id": "q2", "title": "Plot", "points": 1, "score": 1, "outcome": "pass",
         "checks": [check("q2.fig", "pass", 1, 1, "1 figure")],
         "override": {"points": 1, "comment": "Nice <b>plot</b>", "automatic_score": 0.5}},
        {"id": "a1", "title": "Answer 1", "points": 1, "score": 0, "outcome": "manual",
         "checks": [check("a1.answer", "manual", 0, 1, "awaiting a grade")]},
    ]
    execution = {"executed_path": str(executed) if executed else None, "kernel_died_in": None,
                 "failures": [{"cell": 4, "ename": "ModuleNotFoundError",
                               "evalue": "No module named 'google.colab'", "traceback": []}]}
    return {"student": "doejane", "status": "graded", "score": 2.5, "max_score": 6,
            "questions": questions, "execution": execution} | extra


def test_the_cell_says_the_score_each_question_and_what_public_checks_said():
    text = render_feedback_cell(result(), "MLP")
    assert text.startswith("# Feedback: MLP\n") and "**2.5 / 6**" in text
    assert "| Build \\| train | partial | 1.5 / 4 |" in text  # a "|" stays in its table cell
    assert "| Answer 1 | to be graded by hand | awaiting marking / 1 |" in text  # never 0
    assert "Test accuracy 91 %: partial credit." in text and "Train a few more epochs." in text
    assert "the secret threshold" not in text and "1 hidden check(s) worth 1 point(s)" in text
    assert "Graded by hand: Nice &lt;b&gt;plot&lt;/b&gt;" in text  # escaped, never markup
    assert "cell 4: ModuleNotFoundError" in text and "not Colab" in text  # with its advice


def test_a_late_or_ungraded_notebook_says_so():
    late = {"days": 2, "fraction": 0.2, "score_before": 3.125}
    assert "after −20 % for 2 started day(s) late (3.125 before)" in render_feedback_cell(
        result(late=late), "MLP")
    text = render_feedback_cell(result(status="error", error="not valid JSON", questions=[]),
                                "MLP")
    assert "could not be graded: not valid JSON" in text and "| Question |" not in text


def test_the_notebook_handed_back_is_the_students_as_it_ran_without_the_graders_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("seed everything")
    setup.metadata["tags"] = [INJECTED_TAG]
    own = nbformat.v4.new_code_cell("print(1)")
    own.metadata["grader"] = {"cell": 1, "seconds": 0.1}
    own.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    probe = nbformat.v4.new_code_cell("probe")
    probe.metadata["tags"] = [INJECTED_TAG]
    banner = nbformat.v4.new_markdown_cell("An Exception was encountered at In [2]")
    banner.metadata["tags"] = ["papermill-error-cell-tag"]  # papermill's, above a failing cell
    nb.cells = [setup, banner, own, probe]
    executed = tmp_path / "executed.ipynb"
    nbformat.write(nb, executed)
    back = feedback_notebook(result(executed), "MLP")
    assert [c.source for c in back.cells[1:]] == ["print(1)"]
    assert back.cells[0].metadata["tags"] == [FEEDBACK_TAG]
    assert back.cells[1].outputs[0]["text"] == "1\n" and "grader" not in back.cells[1].metadata
    nbformat.validate(back)
    alone = feedback_notebook(result(tmp_path / "gone.ipynb"), "MLP")
    assert len(alone.cells) == 1 and alone.cells[0].cell_type == "markdown"


def test_an_older_or_unreadable_executed_notebook_still_gets_a_valid_feedback_cell(tmp_path):
    old = nbformat.v4.new_notebook(nbformat_minor=4)
    old.cells = [nbformat.v4.new_code_cell("print(1)")]
    del old.cells[0]["id"]
    executed = tmp_path / "executed.ipynb"
    nbformat.write(old, executed)
    back = feedback_notebook(result(executed), "MLP")
    nbformat.validate(back)
    assert back.nbformat_minor == 4 and "id" not in back.cells[0]
    executed.write_text("{not json", encoding="utf-8")
    back = feedback_notebook(result(executed), "MLP")
    assert len(back.cells) == 1 and "could not be read back" in back.cells[0].source
