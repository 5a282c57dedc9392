"""``grader.check`` inside a running notebook, on the kernel's live objects."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.assignment.pack import find_pack
from grader.errors import GraderError
from grader.execute.engine import execute, prepare
from grader.execute.environ import kernel_env
from grader.execute.sandbox import Sandbox
from grader.grading.live import _live_only, _question, view_html
from grader.notebook import read_notebook
from grader.report.selfcheck import public_view
from tests.conftest import FIXTURES
from tests.execute.test_engine import marker


@pytest.mark.kernel
def test_check_one_question_from_inside_the_notebook(tmp_path, tiny_mnist):
    nb = prepare(read_notebook(FIXTURES / "checks_q1_live.ipynb"), marker("setup"),
                 marker("probe"))
    # no bubblewrap: the kernel imports grader itself, as a student's own kernel does
    result = execute(nb, tmp_path, kernel_env=kernel_env(tmp_path, 0, "test"),
                     parameters={"mnist": str(tiny_mnist)}, sandbox=Sandbox("none"))
    assert result.failures == ()
    executed = nbformat.read(result.executed_path, as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    live = json.loads(text.split("LIVE ", 1)[1].splitlines()[0])
    assert live == {"id": "q1_starter", "score": 0.0, "checks": ["pass", "pass"]}  # given code
    html = "".join(o.get("data", {}).get("text/html", "") for c in executed.cells
                   for o in c.get("outputs", []))
    assert "12,730 parameters" in html and "✔" in html
    assert html.count("12,730 parameters") == 2  # grader.check(), then the %grader magic


def test_question_by_its_first_part_and_unknown_ones_listed():
    pack = find_pack("dat405_a7")
    assert _question(pack, "q3").id == "q3_cnn"
    with pytest.raises(GraderError, match="no question 'q9'.*q1_preprocessing"):
        _question(pack, "q9")


def test_checks_a_live_kernel_cannot_answer_are_skipped_and_count_nothing():
    question = {"id": "q3", "score": 1.5, "points": 2.0, "checks": [
        {"id": "q3.history_length", "outcome": "pass", "score": 1.0, "max_score": 1.0},
        {"id": "q3.plots_present", "outcome": "fail", "score": 0.5, "max_score": 1.0},
        {"id": "q3.answer_present", "outcome": "manual", "score": 0.0, "max_score": 0.0}]}
    out = _live_only(question, has_cells=False)
    assert [c["outcome"] for c in out["checks"]] == ["pass", "skipped", "skipped"]
    assert "run `grader check`" in out["checks"][1]["message"]
    assert (out["score"], out["points"]) == (1.0, 1.0)


def test_view_html_escapes_and_counts_hidden_checks():
    questions = [{"id": "q1", "title": "<b>Q1</b>", "checks": [
        {"id": "q1.param_count", "outcome": "fail", "score": 0.0, "max_score": 1.0,
         "message": "`model`: x < y", "hint": "print `model.summary()`", "public": True,
         "details": {}},
        {"id": "q1.secret", "outcome": "pass", "score": 1.0, "max_score": 1.0,
         "message": "secret", "public": False, "details": {}}]}]
    view = public_view(questions)
    html = view_html(view)
    assert "&lt;b&gt;Q1&lt;/b&gt;" in html and "x &lt; y" in html and "secret" not in html
    assert "<code>model</code>: x" in html and "→ print <code>model.summary()</code>" in html
    assert "1 hidden check(s) worth 1 point(s)" in html and view.failed
