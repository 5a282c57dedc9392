"""Reports render from plain dicts, escape what students wrote, and show the grader's plots."""

from __future__ import annotations

import base64
import csv
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader.errors import ReportError
from grader.report import plots, render_student, render_summary, write_grades_csv


def result(student="alice", answer="<script>alert(1)</script>"):
    return {
        "student": student, "assignment": "demo", "title": "Demo", "status": "graded",
        "error": None, "score": 3.0, "max_score": 4.0, "manual_pending": 1, "profile": "fast",
        "profile_description": "short", "seed": 1, "keras_version": "3", "grader_version": "0",
        "hardware": {"device": "CPU", "cpus": 2, "machine": "x86_64", "gpu": "none"},
        "timings": {"total": 5.0}, "notes": [], "figures": [],
        "execution": {"executed_path": f"/tmp/{student}/work/executed.ipynb", "failures": [
            {"cell": 3, "ename": "NameError", "evalue": "x", "source": "print(x)",
             "traceback": ["\x1b[31mNameError\x1b[39m: name 'x' is not defined"]}]},
        "models": [{"id": 0, "path": "model", "total_params": 100,
                    "layers": [{"class_name": "Dense", "units": 10, "activation": "softmax"}],
                    "evaluation": {"accuracy": 0.9, "loss": 0.3, "scaling": "unit",
                                   "confusion": [[5, 1], [0, 4]]}}],
        "histories": [{"id": 0, "history": {"loss": [1, 0.5], "val_loss": [1.1, 0.7],
                                            "accuracy": [0.8, 0.9]}}],
        "questions": [
            {"id": "q1", "title": "Accuracy", "points": 3.0, "score": 3.0, "outcome": "pass",
             "selection": {"model_id": 0, "path": "model", "reason": "the only one"},
             "history_id": 0, "answer": None,
             "checks": [{"id": "q1.accuracy_threshold", "outcome": "pass", "score": 3.0,
                         "max_score": 3.0, "message": "Test accuracy 90 %.",
                         "details": {"expected": "85 %", "found": "90 %"}}]},
            {"id": "a1", "title": "Answer", "points": 1.0, "score": 0.0, "outcome": "manual",
             "selection": None, "history_id": None, "answer": {"cell": 7, "text": answer},
             "checks": [{"id": "a1.answer_present", "outcome": "manual", "score": 0.0,
                         "max_score": 1.0, "message": "awaiting manual grade",
                         "details": {}}]},
        ],
    }


EXPECTED = {"models": {"improved": {
    "total_params": 100, "evaluation": {"accuracy": 0.95},
    "layers": [{"class_name": "Dense", "units": 10, "activation": "softmax"}],
    "history": {"history": {"loss": [0.9, 0.4], "val_loss": [1.0, 0.6]}}}}}


def test_student_report_has_plots_and_escapes_student_text(tmp_path):
    path = render_student(result(), EXPECTED, tmp_path / "alice" / "report.html")
    html = path.read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    # and were anything to get through, it would not run: the page's policy comes first
    policy = html.index('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';')
    assert html.index("<head>") < policy < html.index("<style>") and "<script" not in html
    # the answer awaits marking: said so, never shown as 0 points
    assert "awaiting marking, of 1</span>" in html and "0 / 1</span>" not in html
    assert "1 answer(s) awaiting marking" in html
    assert html.count("data:image/svg+xml;base64,") == 1  # the curves
    table = html[html.index('<table class="confusion">'):]
    table = table[:table.index("</table>")]  # the confusion matrix, shaded by share of the top
    assert table.count("<td ") == 4 and 'rgba(31, 111, 178, 1.0)" class="dark">5<' in table
    assert 'rgba(31, 111, 178, 0.2)">1<' in table and 'rgba(31, 111, 178, 0.0)">0<' in table
    assert "awaiting manual grade" in html and "NameError" in html and "\x1b" not in html
    assert "fast</strong> profile" in html and "executed.ipynb" in html


def test_summary_and_csv(tmp_path):
    errored = result("bob") | {"status": "error", "questions": [], "score": 0.0,
                               "error": "bob.ipynb: not valid JSON (`{` <expected>)"}
    questions = [{"id": "q1", "title": "Accuracy", "points": 3.0},
                 {"id": "a1", "title": "Answer", "points": 1.0}]
    html = render_summary([result(), errored], "Demo", questions, 4.0,
                          tmp_path / "summary.html").read_text()
    assert "not valid JSON (<code>{</code> &lt;expected&gt;)" in html
    # a result stored before errors had a kind is graded again, and says so
    assert html.count("the grader's own failure") == 1
    crashed = errored | {"student": "dan", "error": "EvaluationError: worker died",
                         "error_kind": "grader"}
    broken = errored | {"error_kind": "notebook"}
    both = render_summary([result(), broken, crashed], "Demo", questions, 4.0,
                          tmp_path / "summary2.html").read_text()
    assert both.count("the grader's own failure, not the notebook's") == 1
    assert both.index("worker died") < both.index("the grader's own failure")
    assert "alice/report.html" in html
    assert "Run time per submission: median 5 s" in html
    # scores and points per question; no measured accuracy here
    assert html.count("data:image/svg+xml;base64,") == 2 and "Points per question" in html
    graded = result("carol")
    graded["questions"][0]["checks"][0]["details"]["accuracy"] = 0.9
    html = render_summary([result(), graded], "Demo", questions, 4.0,
                          tmp_path / "summary2.html").read_text()
    assert "Accuracy of the graded models" in html and html.count("data:image/svg") == 3
    from grader.report.render import summary_context

    failed = result("dave")
    failed["questions"][0]["checks"][0]["outcome"] = "fail"
    per_q = {q["id"]: q for q in summary_context([result(), graded, failed], "Demo", questions,
                                                 4.0)["questions"]}
    assert per_q["q1"]["auto_pass_rate"] == 2 / 3 and per_q["q1"]["awaiting"] == 0
    # an answer question: no automatic check to pass, every answer still to grade
    assert per_q["a1"]["auto_pass_rate"] is None and per_q["a1"]["awaiting"] == 3
    assert "awaiting a grade" in html
    from grader.gradebook.overrides import Override, apply_overrides

    handed = apply_overrides(result(), [Override("alice", "a1", 1.0, "")])
    a1 = summary_context([handed], "Demo", questions, 4.0)["questions"][1]
    assert a1["awaiting"] == 0 and a1["pass_rate"] == 1.0  # graded by hand: done
    rows = list(csv.reader(write_grades_csv([result(), errored], ["q1", "a1"],
                                            tmp_path / "grades.csv").read_text().splitlines()))
    assert rows[0] == ["student", "score", "max_score", "status", "manual_pending", "q1", "a1"]
    assert rows[1] == ["alice", "3", "4", "graded", "1", "3", ""]  # pending is not 0
    assert rows[2] == ["bob", "0", "4", "error", "0", "", ""]
    rows = list(csv.reader(write_grades_csv([handed], ["q1", "a1"], tmp_path / "grades.csv")
                           .read_text().splitlines()))
    assert rows[1] == ["alice", "4", "4", "graded", "0", "3", "1"]  # marked: its points
    # class-list order: numbers as numbers, case ignored
    students = ["s10", "s9", "Zoe", "bob"]
    rows = list(csv.reader(write_grades_csv([result(s) for s in students], ["q1"],
                                            tmp_path / "grades.csv").read_text().splitlines()))
    assert [row[0] for row in rows[1:]] == ["bob", "s9", "s10", "Zoe"]
    # written whole or not at all: a write that fails half-way leaves the last one
    broken = result("carol") | {"score": "not a number"}
    with pytest.raises(ValueError):
        write_grades_csv([result("alice"), broken], ["q1"], tmp_path / "grades.csv")
    assert [r[0] for r in csv.reader((tmp_path / "grades.csv").open())][1:] == [
        "bob", "s9", "s10", "Zoe"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_summary_counts_students_per_failed_check_with_what_most_were_told(tmp_path):
    from grader.report.render import most_failed

    def failing(student, **messages):
        r = result(student)
        r["questions"][0]["checks"] = [
            {"id": f"q1.{name}", "outcome": "fail", "score": 0.0, "max_score": 1.0,
             "message": message, "details": {}} for name, message in messages.items()]
        return r

    no_model = "No model to grade: `model` has 7,850 parameters."
    results = [failing("a", param_count=no_model, accuracy_threshold=no_model),
               failing("b", param_count=no_model, accuracy_threshold="Test accuracy 80 %."),
               failing("c", accuracy_threshold="Test accuracy 85 %."), result("d")]
    rows = most_failed(results)
    # counted by check, not by message: student a's two checks said the same
    assert [(r["check"], r["students"]) for r in rows] == [("accuracy_threshold", 3),
                                                            ("param_count", 2)]
    accuracy = rows[0]
    assert accuracy["question"] == "Accuracy"
    assert (accuracy["message"], accuracy["same"]) == (no_model, 1)
    assert (rows[1]["message"], rows[1]["same"]) == (no_model, 2)
    html = render_summary(results, "Demo", [{"id": "q1", "title": "Accuracy", "points": 3.0}],
                          4.0, tmp_path / "summary.html").read_text()
    table = html[html.index("Checks failed most often"):]
    assert "<code>accuracy_threshold</code>" in table and "3 of 4" in table
    assert "1 of the 3 were told:</span> No model to grade: <code>model</code> has 7,850" in table
    assert "All 2 were told:</span> No model" in table


def test_models_table_reads_every_kind_of_evaluation(tmp_path):
    r = result()
    r["models"] += [
        {"id": 1, "path": "faces_model", "total_params": 5, "layers": [],
         "evaluation": {"dataset": "faces"}},  # measured on nothing, no error either
        {"id": 2, "path": "autoencoder", "total_params": 5, "layers": [],
         "evaluation": {"denoising": {"levels": [0.0], "noisy": [0.9], "denoised": [0.8]}}},
        {"id": 3, "path": "fit #4.model", "fit_only": True, "total_params": 5, "layers": [],
         "evaluation": {"error": "no variable holds this model"}},
    ]
    html = render_student(r, EXPECTED, tmp_path / "report.html").read_text()
    assert "autoencoder: denoising curves drawn" in html
    assert "trained, then no longer in a variable" in html and "could not be rendered" not in html


def test_a_student_whose_notebook_the_grader_failed_on_is_told_it_is_not_their_fault(tmp_path):
    error = {"status": "error", "questions": [], "score": 0.0, "execution": None}
    crashed = result() | error | {"error": "EvaluationError: worker died", "error_kind": "grader"}
    broken = result() | error | {"error": "not valid JSON", "error_kind": "notebook"}
    said = "The grader failed here, not the notebook: it will be graded again."
    html = render_student(crashed, EXPECTED, tmp_path / "c.html").read_text()
    assert "not graded" in html and "worker died" in html and said in html
    html = render_student(broken, EXPECTED, tmp_path / "b.html").read_text()
    assert "not valid JSON" in html and said not in html


def test_a_report_that_cannot_render_becomes_a_page_saying_why(tmp_path):
    broken = result(student="<b>bob</b>")
    broken["questions"][0]["checks"] = None  # not a list: the template cannot iterate it
    html = render_student(broken, EXPECTED, tmp_path / "report.html").read_text()
    assert "could not be rendered" in html and "Score 3.0 / 4.0" in html
    assert "&lt;b&gt;bob&lt;/b&gt;" in html and "<b>bob</b>" not in html


def test_pdf_is_the_same_report_printed_on_a4(tmp_path):
    import shutil
    import subprocess

    from grader.report.pdf import write_pdf

    html = render_student(result(student="carol"), EXPECTED, tmp_path / "report.html")
    pdf = write_pdf(html)
    assert pdf == tmp_path / "report.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert shutil.which("pdftoppm"), "pdftoppm (Debian: poppler-utils) is needed by this test"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-png", "-r", "50", str(pdf),
                    str(tmp_path / "page")], check=True)
    from PIL import Image

    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        width, height = page.size
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 (210 × 297 mm) at 50 dpi
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Feedback for carol" in text and "3/4" in text.replace(" ", "")
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_pdf_stopped_mid_print_leaves_no_file_to_hand_out(tmp_path, monkeypatch):
    import weasyprint

    from grader.report.pdf import write_pdf

    class Stopped:  # prints half a file, then the printer is stopped (Ctrl-C, a crash)
        def __init__(self, **kw):
            pass

        def write_pdf(self, target):
            Path(target).write_bytes(b"%PDF-1.7 half")
            raise RuntimeError("stopped")

    html = render_student(result(), EXPECTED, tmp_path / "report.html")
    monkeypatch.setattr(weasyprint, "HTML", Stopped)
    with pytest.raises(ReportError, match="PDF rendering failed"):
        write_pdf(html)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_notebook_that_stopped_early_says_why_at_the_top(tmp_path):
    died = result() | {"keras_version": None}  # the probe reports it, after the last cell
    died["execution"] |= {"kernel_died_in": 3, "failures": [
        {"cell": 3, "ename": "KernelDied", "source": "hoard = []",
         "evalue": "the kernel was killed for using more than 4 GiB of memory",
         "traceback": []}]}
    html = render_student(died, EXPECTED, tmp_path / "d.html").read_text()
    top = html[:html.index("<h2>Summary</h2>")]
    assert "stopped early" in top and ("Your notebook stopped in cell 3: the kernel was killed "
                                       "for using more than 4 GiB of memory.") in top
    assert "models it had built were lost with its kernel" in top
    assert "Keras version unknown (the notebook did not run to its end)" in top
    assert "Keras 3," in render_student(result(), EXPECTED, tmp_path / "k.html").read_text()
    assert "until the notebook stopped" in html and "Grading went on" not in html
    late = result()
    late["execution"] |= {"deadline_hit": True, "cells_skipped": 4}
    html = render_student(late, EXPECTED, tmp_path / "t.html").read_text()
    assert "ran past its time limit: its last 4 code cell(s) were skipped" in html
    html = render_student(result(), EXPECTED, tmp_path / "r.html").read_text()
    assert "stopped early" not in html and "Grading went on after each failing cell" in html


def test_printed_checks_keep_their_rows_on_one_page(tmp_path):
    import subprocess

    from grader.report.pdf import write_pdf

    r = result()
    r["questions"][0]["checks"] = [
        {"id": f"q1.check{i:02d}", "outcome": "fail", "score": 0.0, "max_score": 1.0,
         "message": f"message{i:02d} " + "a long explanation of what went wrong " * (i * 5 % 17),
         "hint": f"hint{i:02d} on what to do",
         "details": {"expected": "an expected thing " * (i % 5), "found": "y"}}
        for i in range(40)]
    pdf = write_pdf(render_student(r, EXPECTED, tmp_path / "report.html"))
    pages = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    assert len(pages) > 3  # the question runs over pages

    def page(word):
        return next(i for i, text in enumerate(pages) if word in text)

    for i in range(40):
        assert page(f"check{i:02d}") == page(f"message{i:02d}") == page(f"hint{i:02d}"), i


def test_student_audience_hides_details_of_hidden_checks(tmp_path):
    r = result()
    r["questions"][0]["checks"][0] |= {"public": False, "message": "secret threshold 0.93",
                                       "outcome": "fail", "hint": "aim for 0.93"}
    student = render_student(r, EXPECTED, tmp_path / "s.html", "student").read_text()
    instructor = render_student(r, EXPECTED, tmp_path / "i.html", "instructor").read_text()
    assert "secret threshold" not in student and "Hidden check" in student
    assert "aim for 0.93" not in student  # a hint would give the threshold away
    assert "secret threshold" in instructor and "instructor version" in instructor
    assert "→ aim for 0.93" in instructor


def test_checks_show_code_as_code_and_hints_where_points_were_lost(tmp_path):
    r = result()
    r["questions"][0]["checks"] = [
        {"id": "q1.loss_used", "outcome": "fail", "score": 0.0, "max_score": 1.0,
         "message": "`model` is compiled with `mse` <b>", "hint": "Use `categorical_crossentropy`.",
         "details": {"expected": "`categorical_crossentropy`", "found": "`mse`"}},
        {"id": "q1.param_count", "outcome": "pass", "score": 1.0, "max_score": 1.0,
         "message": "`model` has 100 parameters.", "hint": "Print `model.summary()`.",
         "details": {}},
        {"id": "q1.accuracy_threshold", "outcome": "partial", "score": 0.5, "max_score": 1.0,
         "message": "Test accuracy 90 %. Train longer.", "hint": "Train longer.",
         "details": {}}]
    r["questions"][0]["selection"] = {"model_id": None, "path": None,
                                      "reason": "no model fits: `model` takes Dense(10) inputs"}
    html = render_student(r, EXPECTED, tmp_path / "r.html").read_text()
    assert "<code>model</code> is compiled with <code>mse</code> &lt;b&gt;" in html
    assert "<td><code>categorical_crossentropy</code></td>" in html and "`" not in html
    assert "→ Use <code>categorical_crossentropy</code>." in html  # the failing check's hint
    assert "summary()" not in html  # a passing check needs none
    assert "No model fits: <code>model</code> takes Dense(10) inputs." in html  # case kept
    assert "→ Train longer." not in html  # its message says it already
    assert html.count("<tbody>") == 4  # one per check (three here, the answer)


def test_a_question_with_no_model_gives_the_reason_once(tmp_path):
    r = result()
    why = "no model fits (an MLP): `model` is Dense(64) → Dense(10), `ae` gives 784 outputs"
    said = f"No model to grade for this question: {why}. Make sure it is kept in a variable."
    r["questions"][0]["selection"] = {"model_id": None, "path": None, "reason": why}
    r["questions"][0]["checks"] = [
        {"id": f"q1.{name}", "outcome": "fail", "score": 0.0, "max_score": 1.0,
         "message": message, "details": {}}
        for name, message in (("param_count", said), ("sweep", "No sweep found."),
                              ("accuracy_threshold", said))]
    html = render_student(r, EXPECTED, tmp_path / "r.html").read_text()
    assert html.count("Dense(64) → Dense(10)") == 1  # in param_count's message alone
    assert "As for <code>param_count</code> above." in html and "No sweep found." in html
    for name in ("param_count", "sweep", "accuracy_threshold"):
        assert f"</span> {name}</td>" in html  # every check keeps its row
    for hidden in (0, 2):  # in a student's report no check gives the reason
        r["questions"][0]["checks"][hidden]["public"] = False
    html = render_student(r, EXPECTED, tmp_path / "r.html", "student").read_text()
    assert html.count("Dense(64) → Dense(10)") == 1  # now from the card's own line
    assert "As for" not in html


def test_a_loops_runs_of_one_network_share_a_row_of_the_models_table(tmp_path):
    from grader.report.render import model_rows

    dense = [{"class_name": "Flatten"}, {"class_name": "Dense"}]
    runs = [{"id": i, "path": f"fit #{i}.model", "fit_only": True, "total_params": 7_850,
             "layers": dense, "evaluation": {"error": "no variable holds this model"}}
            for i in range(3, 8)]
    other = {"id": 9, "path": "fit #9.model", "fit_only": True, "total_params": 10,
             "layers": dense, "evaluation": {}}
    rows = model_rows([*result()["models"], *runs, other])
    assert [r["paths"] for r in rows] == [["model"], [f"fit #{i}.model" for i in range(3, 8)],
                                          ["fit #9.model"]]
    assert rows[0]["measured"] == "90.00 %" and rows[1]["params"] == "7,850"
    r = result()
    r["models"] += runs
    html = render_student(r, EXPECTED, tmp_path / "r.html").read_text()
    assert "<code>fit #3.model</code> … <code>fit #7.model</code>" in html
    assert "5 models, each trained, then no longer in a variable" in html


def test_hand_grades_show_with_their_comment(tmp_path):
    from grader.gradebook.overrides import Override, apply_overrides

    graded = apply_overrides(result(), [Override("alice", "a1", 0.75, "Good, but say why.")])
    html = render_student(graded, EXPECTED, tmp_path / "r.html").read_text()
    assert "graded by hand" in html and "Good, but say why." in html
    assert "awaiting manual grade" not in html


def test_a_cell_that_failed_for_want_of_network_says_the_grader_is_offline(tmp_path):
    r = result()
    r["execution"]["failures"] = [
        {"cell": n, "ename": "Exception", "source": "keras.utils.get_file(...)",
         "evalue": "URL fetch failure on https://x/y.npz: [Errno -3] Temporary failure in "
                   "name resolution", "traceback": []} for n in (3, 5)]
    html = render_student(r, EXPECTED, tmp_path / "r.html").read_text()
    assert html.count("without internet access") == 1  # at cell 3, not again at cell 5
    assert "<code>keras.datasets.mnist.load_data()</code>" in html
    plain = render_student(result(), EXPECTED, tmp_path / "p.html").read_text()
    assert "NameError" in plain and '<p class="small hint">' not in plain
    questions = [{"id": "q1", "title": "Accuracy", "points": 3.0}]
    summary = render_summary([r, result("bob")], "Demo", questions, 4.0,
                             tmp_path / "s.html").read_text()
    assert "Cells that failed only in the grader" in summary  # what to tell the whole class
    assert summary.count("without internet access") == 1
    assert '<td colspan="2" class="small muted">alice</td>' in summary  # not bob
    alone = render_summary([result()], "Demo", questions, 4.0, tmp_path / "n.html").read_text()
    assert "only in the grader" not in alone


def test_layers_beside_the_reference_and_tracebacks_of_the_students_own_frames(tmp_path):
    r = result()
    r["questions"][0]["reference_model"] = "improved"
    r["models"][0]["layers"] = [{"class_name": "Dense", "units": 64, "activation": "relu"},
                                {"class_name": "Dense", "units": 10, "activation": "softmax"}]
    r["execution"]["failures"][0]["traceback"] = [
        "\x1b[31m-----\x1b[39m", "TypeError   Traceback (most recent call last)",
        "Cell In[9], line 2\n----> 2 model.fit(x, nb_epoch=3)",
        "File <grader setup>:54, in record_fits.<locals>.fit(self, *args)",
        "File /venv/lib/python3.11/site-packages/keras/trainer.py:122, in fit",
        "TypeError: fit() got an unexpected keyword argument 'nb_epoch'"]
    html = render_student(r, EXPECTED, tmp_path / "r.html").read_text()
    assert "1 row(s) differ, marked ≠" in html and 'class="differs"' in html
    assert "Cell In[9], line 2" in html and "site-packages" not in html
    assert "[2 frame(s) inside libraries left out]" in html and "nb_epoch" in html


def test_students_do_not_see_the_reference_unless_the_spec_shows_it(tmp_path):
    r = result()
    r["questions"][0]["reference_model"] = "improved"
    r["models"][0]["layers"] = [{"class_name": "Dense", "units": 64, "activation": "relu"},
                                {"class_name": "Dense", "units": 10, "activation": "softmax"}]
    student = render_student(r, EXPECTED, tmp_path / "s.html", "student").read_text()
    assert "Reference models" not in student and "beside the reference" not in student
    assert "95.00 %" not in student  # the reference's accuracy: the answer, for a student
    shown = render_student(r, EXPECTED, tmp_path / "t.html", "student",
                           show_reference=True).read_text()
    assert "Reference models" in shown and "beside the reference" in shown
    teacher = render_student(r, EXPECTED, tmp_path / "i.html", "instructor").read_text()
    assert "Reference models" in teacher and "95.00 %" in teacher


def test_a_question_on_given_code_says_it_earns_no_points(tmp_path):
    r = result()
    q1 = r["questions"][0]
    q1.update(points=0.0, score=0.0)
    q1["checks"][0].update(score=0.0, max_score=0.0)
    html = render_student(r, EXPECTED, tmp_path / "g.html", "student").read_text()
    assert "no points: given code" in html and "0 / 0" not in html


def test_late_submissions_say_when_and_what_they_lost(tmp_path):
    from datetime import datetime, timezone

    from grader.assignment.spec import LateRule
    from grader.gradebook.late import apply_late

    rule = LateRule(datetime(2026, 12, 1, tzinfo=timezone.utc), penalty_per_day=0.1)
    late = apply_late(result() | {"file_time": "2026-12-02T10:00:00+00:00"}, rule, {})
    html = render_student(late, EXPECTED, tmp_path / "r.html").read_text()
    assert "2 started day(s) after the deadline" in html and "−20 % of the score" in html
    assert "2.4 / 4" in html  # 34 hours late: two started days


def _svg_texts(uri: str) -> list[str]:
    assert uri.startswith("data:image/svg+xml;base64,")
    root = ElementTree.fromstring(base64.b64decode(uri.split(",", 1)[1]))
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]


def test_charts_are_svg_with_their_text_kept_as_text_and_the_same_bytes_each_time():
    history = {"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.8, 0.9]}
    curves = plots.training_curves(history, history, "starter")
    texts = _svg_texts(curves)
    assert {"accuracy", "loss", "epoch", "yours, training", "yours, validation",
            "reference (starter), training"} <= set(texts)  # searchable in the PDF
    assert plots.training_curves(history, history, "starter") == curves  # no date, no random ids
    no_metric = _svg_texts(plots.training_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.7]},
                                                 None, ""))
    assert {"yours, training", "yours, validation", "loss"} <= set(no_metric)
    assert "accuracy" not in no_metric  # an autoencoder's curves: no empty accuracy panel
    from grader.report.render import question_outcomes

    rows = [{"points": 2, "score": 2, "checks": []}, {"points": 2, "score": 1, "checks": []},
            {"points": 2, "score": 0, "checks": []},
            {"points": 1, "score": 0, "checks": [{"outcome": "manual"}]},
            {"points": 0, "score": 0, "checks": []}]  # given code: nothing to earn
    assert question_outcomes(rows) == {"full": 1, "partial": 1, "none": 1, "pending": 1}
    bars = _svg_texts(plots.question_outcomes([("Q1", question_outcomes(rows))]))
    assert {"full marks", "partial", "no points", "awaiting marking", "Q1"} <= set(bars)
    counts = _svg_texts(plots.score_histogram([3, 7, 7, 9], 13))
    ticks = [t for t in counts if t.replace(".", "").isdigit()]
    assert ticks and all("." not in t for t in ticks)  # students counted in whole numbers
    grid = plots.kernel_grid([[[0.0, 1.0], [1.0, 0.0]]] * 2, "convolution layer 1")
    assert grid is not None and grid.startswith("data:image/png;base64,")  # pictures stay PNG
