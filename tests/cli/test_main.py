"""End to end through the CLI: the shipped samples get the grades each one must get."""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.gradebook.store import Gradebook
from grader.students import roster_order
from tests.browser import in_browser
from tests.conftest import (
    FIXTURES,
    ROOT,
    SAMPLES,
    assert_pack_ready,
    assert_starter_earns_at_most_5_percent,
    automatic,
    run_cli,
)
from tests.conftest import check_of as check
from tests.conftest import question as q

pytestmark = pytest.mark.kernel


def test_every_file_has_a_result_and_the_batch_finished(batch):
    # missing_answers_4711 is a Moodle folder's mlp.ipynb; hidden and __MACOSX files are no one's
    assert set(batch["results"]) == {
        "doejane", "missing_answers_4711", "raises_in_cell8", "too_few_epochs", "unchanged_starter",
        "wrong_architecture", "not_a_notebook", "truncated_json"}
    assert "8 new result(s), 0 unchanged (cached): 6 graded, 2 in error" in batch["proc"].stdout
    # the progress bar's last state: every notebook done, nothing left to wait for
    assert "8/8" in batch["proc"].stdout and "left 0:00:00" in batch["proc"].stdout


def test_full_solution_earns_every_automatic_point(batch):
    r = batch["results"]["doejane"]  # Canvas name doejane_12345_67890_full_solution.ipynb
    assert r["status"] == "graded" and r["profile"] == "fast"
    assert [q(r, x)["score"] for x in ("q1_starter", "q2_accuracy", "q3_training",
                                       "q4_confusion")] == [0, 4, 2, 0]  # given: no points
    assert r["score"] == 6 and r["max_score"] == 11 and r["manual_pending"] == 4
    assert automatic(r) == (6, 6)
    assert_pack_ready(batch["results"]["unchanged_starter"], r)  # as `grader pack check`
    assert check(r, "q1_starter", "param_count")["outcome"] == "pass"  # shown, for no points
    assert q(r, "q1_starter")["selection"]["path"] == "baseline"
    assert "best test accuracy" in q(r, "q2_accuracy")["selection"]["reason"]
    assert r["execution"]["failures"] == []


def test_missing_answers_lose_only_the_answers(batch):
    r = batch["results"]["missing_answers_4711"]
    assert r["score"] == 6 and r["manual_pending"] == 0
    assert all(q(r, a)["outcome"] == "fail" for a in ("a1_training_time", "a4_overfitting"))


def test_unchanged_starter_earns_nothing_for_the_code_it_was_given(batch):
    r = batch["results"]["unchanged_starter"]
    assert_starter_earns_at_most_5_percent(r)
    assert check(r, "q1_starter", "param_count")["outcome"] == "pass"  # shown, for no points
    assert check(r, "q4_confusion", "confusion_matrix_present")["outcome"] == "pass"
    reason = q(r, "q2_accuracy")["selection"]["reason"]
    assert "the model the starter gives (`starter`" in reason, reason
    assert q(r, "q2_accuracy")["score"] == 0 and q(r, "q3_training")["score"] == 0


def test_wrong_architecture(batch):
    r = batch["results"]["wrong_architecture"]
    assert q(r, "q1_starter")["score"] == 0
    structure = q(r, "q2_accuracy")["checks"][0]
    assert structure["outcome"] == "fail" and "no activation" in structure["message"]
    assert r["score"] < 5


def test_too_few_epochs(batch):
    r = batch["results"]["too_few_epochs"]
    training = q(r, "q3_training")
    assert training["score"] == 0
    assert "1 epoch" in training["checks"][0]["message"]


def test_error_in_a_middle_cell_does_not_stop_later_questions(batch):
    r = batch["results"]["raises_in_cell8"]
    assert r["status"] == "graded"
    assert [(f["cell"], f["ename"]) for f in r["execution"]["failures"]] == [(8, "NameError")]
    assert check(r, "q4_confusion", "confusion_matrix_present")["outcome"] == "pass"  # after it
    assert q(r, "q3_training")["checks"][2]["outcome"] == "fail"  # its plot cell failed


def test_broken_files_are_recorded_as_errors_naming_the_file(batch):
    for student in ("not_a_notebook", "truncated_json"):
        r = batch["results"][student]
        assert r["status"] == "error" and r["score"] == 0
        assert f"{student}.ipynb" in r["error"] and "not valid JSON" in r["error"]
        assert r["error_kind"] == "notebook"  # kept as it is until the file changes


def test_outputs_written(batch):
    out = batch["out"]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert list(rows[0])[:4] == ["student", "score", "max_score", "status"]
    assert "q2_accuracy" in rows[0] and len(rows) == 8
    assert {r["student"]: r["status"] for r in rows}["truncated_json"] == "error"
    doejane = {r["student"]: r for r in rows}["doejane"]  # answers not yet marked: no 0
    assert doejane["manual_pending"] == "4" and doejane["a1_training_time"] == ""
    assert doejane["q2_accuracy"] == "4"
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 8
    checks = db.execute("SELECT COUNT(*) FROM checks c JOIN submissions s ON s.id = "
                        "c.submission_id WHERE s.student = 'doejane'").fetchone()[0]
    assert checks == 12
    sha, seconds = db.execute("SELECT sha256, total_seconds FROM submissions WHERE student = "
                              "'doejane'").fetchone()
    assert len(sha) == 64 and seconds > 0
    report = (out / "doejane" / "report.html").read_text()
    assert report.count("data:image/svg+xml;base64,") >= 1 and "fast</strong> profile" in report
    assert report.count('<table class="confusion">') == 1
    assert "baseline" in report and (out / "doejane" / "executed.ipynb").exists()
    summary = (out / "summary.html").read_text()
    assert "not_a_notebook" in summary and "not valid JSON" in summary


def _rows(out: Path) -> int:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]


def test_second_run_regrades_only_changed_notebooks(batch, mnist_path):
    folder, out = batch["folder"], batch["out"]
    proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out),
                   env={"GRADER_MNIST": str(mnist_path)})
    # the two unreadable notebooks stay cached: their error is the notebook's
    assert "0 new result(s), 8 unchanged (cached): 6 graded, 2 in error." in proc.stdout, \
        proc.stdout + proc.stderr
    nb = nbformat.read(folder / "unchanged_starter.ipynb", as_version=4)
    nb.cells[-1].source += "\n\nI trained it for 5 epochs."
    nbformat.write(nb, folder / "unchanged_starter.ipynb")
    # the last run failed on too_few_epochs through the grader's fault (a worker that died)
    with Gradebook(out / "gradebook.sqlite") as book:
        last = next(r for r in book.latest("dlcourse_mlp") if r["student"] == "too_few_epochs")
        book.record(last | {"status": "error", "error_kind": "grader", "score": 0.0,
                            "error": "EvaluationError: the evaluation worker died"})
    rows, csv_time = _rows(out), (out / "grades.csv").stat().st_mtime_ns
    dry = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out),
                  "--regrade", "wrong_architecture", "--dry-run",
                  env={"GRADER_MNIST": str(mnist_path)})
    said = " ".join(dry.stdout.split())
    assert dry.returncode == 0 and "would run 3 notebook(s):" in said, dry.stdout + dry.stderr
    for line in ("1 changed since graded: unchanged_starter",
                 "1 unchanged, but the grader itself failed on them last time: too_few_epochs",
                 "1 asked for (--force or --regrade): wrong_architecture",
                 "5 stand as graded: nothing changed"):
        assert line in said, said
    assert (_rows(out), (out / "grades.csv").stat().st_mtime_ns) == (rows, csv_time)
    proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out),
                   "--regrade", "wrong_architecture", env={"GRADER_MNIST": str(mnist_path)})
    assert ("3 new result(s) (1 unchanged but graded again: the grader had failed on them), "
            "5 unchanged (cached): 6 graded, 2 in error.") in " ".join(proc.stdout.split()), \
        proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["unchanged_starter"]["status"] == "graded"
    assert rows["too_few_epochs"]["status"] == "graded"
    for student in ("unchanged_starter", "too_few_epochs", "wrong_architecture"):
        log = (out / student / "kernel.log").read_text()
        assert log.count("--existing") == 1, log  # its kernel's start, not the last run's too
    assert list(rows) == sorted(rows, key=roster_order)


def _descendants(pid: int) -> dict[int, str]:
    """The processes below ``pid`` that are alive (not zombies), with their names."""
    procs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            name, _, rest = stat.read_text().rpartition(")")
            state, ppid = rest.split()[:2]
            procs[int(stat.parent.name)] = (int(ppid), state, name.partition("(")[2])
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, state, name) in procs.items():
            if ppid == parent and child not in found:
                frontier.append(child)
                if state != "Z":
                    found[child] = name
    return found


def _still_running(pids: dict[int, str]) -> dict[int, str]:
    out = {}
    for pid, name in pids.items():
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rpartition(")")[2].split()[0] != "Z" and name in stat:
                out[pid] = name
    return out


def test_a_stopped_batch_keeps_what_is_done_and_the_same_command_goes_on(tmp_path, mnist_path):
    """SIGTERM (a batch scheduler's stop) mid-class: kernels gone, finished results kept."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(FIXTURES / "raises_in_cell2.ipynb", folder / "a_quick.ipynb")
    sleeper = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import time\ntime.sleep(600)")])
    nbformat.write(sleeper, folder / "b_sleeps.ipynb")
    exe = Path(sys.executable).with_name("grader")
    args = [str(exe), "grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out),
            "--no-pdf", "--workers", "1"]
    env = {**os.environ, "COLUMNS": "200", "GRADER_MNIST": str(mnist_path)}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        while "a_quick: graded" not in lines.get(timeout=300):
            pass
        time.sleep(1)  # b_sleeps' kernel is running its cell
        started = _descendants(proc.pid)
        assert started  # kernels, their sandboxes, the fork server, the evaluation worker
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    stderr = proc.stderr.read()
    assert code == 143, stderr
    assert "interrupted (SIGTERM): 1 of 2 submission(s) done and kept in" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while _still_running(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _still_running(started) == {}  # nothing it started runs on
    # and the running kernel's socket folder and cgroup went with it, not left to a next run
    assert list(Path("/tmp").glob(f"grader-{proc.pid}-*")) == []
    assert list(Path("/sys/fs/cgroup").rglob(f"grader-{proc.pid}-*")) == []
    with Gradebook(out / "gradebook.sqlite") as book:
        assert [r["student"] for r in book.latest("dlcourse_mlp")] == ["a_quick"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]),
                   folder / "b_sleeps.ipynb")
    again = run_cli(*args[1:], env={"GRADER_MNIST": str(mnist_path)})
    assert again.returncode == 0, again.stderr
    assert "1 new result(s), 1 unchanged (cached)" in again.stdout


def test_a_spec_fix_grades_stored_runs_again_without_executing_them(batch, mnist_path,
                                                                   tmp_path):
    packs, out = tmp_path / "packs", tmp_path / "out"
    shutil.copytree(ROOT / "reference" / "dlcourse_mlp", packs / "dlcourse_mlp")
    spec = packs / "dlcourse_mlp" / "spec.toml"  # the fix: a question's points, and the version
    old = ('points = 0\nchecks = [{ check = "confusion_matrix_present", points = 0 }]')
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, old.replace("0", "1")).replace("version = 1",
                                                                      "version = 2"))
    shutil.copytree(batch["out"], out)
    executed = {p: p.stat().st_mtime_ns for p in out.glob("*/executed.ipynb")}
    env = {"GRADER_MNIST": str(mnist_path), "GRADER_PACKS": str(packs)}
    dry = run_cli("grade", str(batch["folder"]), "-a", "dlcourse_mlp", "--out", str(out),
                  "--dry-run", env=env)
    said = " ".join(dry.stdout.split())
    assert "would check 6 again from their stored runs" in said, dry.stdout + dry.stderr
    assert ("would run 2 notebook(s): 2 unchanged, but no run of them is stored to check "
            "again") in said  # the two unreadable files: nothing of them ever ran
    proc = run_cli("grade", str(batch["folder"]), "-a", "dlcourse_mlp", "--out", str(out),
                   env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 new result(s) (6 from their stored run" in proc.stdout, proc.stdout
    assert len(executed) == 6
    assert all(p.stat().st_mtime_ns == t for p, t in executed.items())  # no notebook ran
    with Gradebook(out / "gradebook.sqlite") as book:
        now = {r["student"]: r for r in book.latest("dlcourse_mlp")}
    before, after = batch["results"]["doejane"], now["doejane"]
    assert after["rechecked"] and not before["rechecked"]
    assert q(before, "q4_confusion")["score"] == 0 and q(after, "q4_confusion")["score"] == 1
    assert after["max_score"] == before["max_score"] + 1
    for question in ("q1_starter", "q2_accuracy", "q3_training", "a1_training_time"):
        assert q(after, question)["score"] == q(before, question)["score"]
    assert ([(m["evaluation"] or {}).get("accuracy") for m in after["models"]]
            == [(m["evaluation"] or {}).get("accuracy") for m in before["models"]])
    assert after["timings"]["execute"] == before["timings"]["execute"]
    assert "not executed again" in (out / "doejane" / "report.html").read_text()
    assert now["not_a_notebook"]["status"] == "error"  # nothing stored: tried again


def test_self_check_passes_the_full_solution(tmp_path, mnist_path, batch):
    nb = SAMPLES / "doejane_12345_67890_full_solution.ipynb"
    proc = run_cli("check", str(nb), "--assignment", "dlcourse_mlp", "--out", str(tmp_path),
                   env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✔" in proc.stdout and "awaiting manual grade" in proc.stdout
    assert str(tmp_path / "doejane" / "report.html") in proc.stdout.replace("\n", "")
    assert "1 hidden check(s) worth 0.5 point(s) are not shown" in proc.stdout
    # graded alone here, beside other kernels in the batch: the same verdict, to the digit
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        alone = book.latest("dlcourse_mlp")[0]
    in_batch = batch["results"]["doejane"]
    assert alone["score"] == in_batch["score"]
    assert [m["evaluation"] for m in alone["models"]] == [
        m["evaluation"] for m in in_batch["models"]]


def test_self_check_with_a_student_edition_fails_a_notebook_with_mistakes(tmp_path,
                                                                         mnist_path):
    """As a student does it: install the edition, then check from their own folder."""
    shutil.copy(SAMPLES / "wrong_architecture.ipynb", tmp_path / "mine.ipynb")
    env = {"GRADER_MNIST": str(mnist_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    built = run_cli("pack", "build", "dlcourse_mlp", "--student", "--out",
                    str(tmp_path / "dist"), env=env)
    assert built.returncode == 0, built.stderr
    installed = run_cli("pack", "install", str(tmp_path / "dist" / "dlcourse_mlp-student.zip"),
                        env=env, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    listed = run_cli("pack", "list", env=env, cwd=tmp_path).stdout
    assert str(tmp_path / "data" / "grader" / "packs" / "dlcourse_mlp") in listed
    proc = run_cli("check", "mine.ipynb", "-a", "dlcourse_mlp", "--out", "out", env=env,
                   cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "✘" in proc.stdout and "12,730" in proc.stdout
    assert "→ " in proc.stdout and "model.summary()" in proc.stdout  # a hint per failing check
    assert "1 hidden check(s) worth 0.5 point(s)" in proc.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["grade", "{samples}", "-a", "no_such"], "unknown assignment 'no_such'"),
    (["grade", "{tmp}/missing_dir", "-a", "dlcourse_mlp"], "no such folder"),
    (["grade", "{samples}", "-a", "dlcourse_mlp", "--mnist", "{tmp}/none.npz"],
     "none.npz: MNIST file not found"),
    (["check", "{tmp}/bad.ipynb", "-a", "dlcourse_mlp"], "bad.ipynb: not a notebook"),
    (["check", "{tmp}/[/]x[bold].ipynb", "-a", "dlcourse_mlp"],
     "[/]x[bold].ipynb: no such notebook"),  # a name is text, never rich markup
    (["grade", "{samples}", "-a", "dlcourse_mlp", "--regrade", "doejan"],
     "--regrade doejan: no submission in this batch has that id (did you mean doejane?)"),
])
def test_bad_input_is_one_clear_line(tmp_path, mnist_path, args, words):
    (tmp_path / "bad.ipynb").write_text("{ nope")
    args = [a.format(samples=SAMPLES, tmp=tmp_path) for a in args]
    proc = run_cli(*args, "--out", str(tmp_path / "out"), env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [x for x in (proc.stderr + proc.stdout).strip().splitlines() if x.strip()]
    assert any(words in x for x in lines), lines
    assert json.dumps(lines).count("Traceback") == 0


@pytest.fixture
def graded_copy(batch, tmp_path):
    """The class's gradebook alone in a fresh folder: reports are rebuilt from it."""
    shutil.copy(batch["out"] / "gradebook.sqlite", tmp_path / "gradebook.sqlite")
    return tmp_path


def test_report_rerenders_from_the_gradebook_with_manual_grades(graded_copy):
    out = graded_copy
    manual = out / "manual.csv"
    manual.write_text("student,question,points,comment\n"
                      "doejane,a1_training_time,1,Timed it.\n", encoding="utf-8")
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--overrides", str(manual))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["doejane"]["a1_training_time"] == "1"
    report = (out / "doejane" / "report.html").read_text()
    assert "graded by hand" in report and "Timed it." in report
    pdf = out / "doejane" / "report.pdf"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-png", "-r", "40", str(pdf),
                    str(out / "page")], check=True)
    from PIL import Image

    with Image.open(next(out.glob("page*.png"))) as page:
        assert abs(page.size[0] - 331) <= 1 and abs(page.size[1] - 468) <= 1  # A4, 40 dpi
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Feedback for doejane" in text and "graded by hand" in text
    assert "Timed it." in text
    assert "yours, validation" in text  # the training curves' legend: text in the PDF
    assert (out / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT COUNT(*) FROM overrides").fetchone()[0] == 1


def test_report_redraws_only_the_pages_whose_results_changed(batch, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    graded = [s for s, r in batch["results"].items() if r["status"] == "graded"]
    pages = {s: out / s / "report.html" for s in graded}
    before = {s: p.stat().st_mtime_ns for s, p in pages.items()}
    assert all((out / s / "report.pdf").exists() for s in graded)
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--no-pdf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {s: p.stat().st_mtime_ns for s, p in pages.items()} == before  # drawn by the batch
    manual = tmp_path / "manual.csv"
    manual.write_text("student,question,points\ndoejane,a1_training_time,1\n", encoding="utf-8")
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--no-pdf", "--overrides",
                   str(manual))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changed = {s for s, p in pages.items() if p.stat().st_mtime_ns != before[s]}
    assert changed == {"doejane"} and "graded by hand" in pages["doejane"].read_text()
    assert not (out / "doejane" / "report.pdf").exists()  # it showed the old page
    assert (out / "too_few_epochs" / "report.pdf").exists()


def test_a_broken_overrides_file_changes_nothing(graded_copy):
    out = graded_copy
    bad = out / "manual.csv"
    bad.write_text("student,question,points\ndoejane,a1_training_time,1\nroe,q9,1\n",
                   encoding="utf-8")
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--overrides", str(bad))
    assert proc.returncode == 2 and "manual.csv: line 3: no question 'q9'" in proc.stderr
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT COUNT(*) FROM overrides").fetchone()[0] == 0
    assert not (out / "grades.csv").exists()
    assert "no gradebook here" in run_cli("report", str(out / "nothing"), "-a",
                                          "dlcourse_mlp").stderr


@pytest.mark.parametrize(("fmt", "file"), [
    ("canvas", "canvas.automatic-only.csv"), ("moodle", "moodle.automatic-only.csv"),
    ("blackboard", "blackboard.automatic-only.csv"),
    ("gradescope", "gradescope.automatic-only/doejane/results.json")])
def test_export_writes_what_the_lms_imports(graded_copy, fmt, file):
    refused = run_cli("export", str(graded_copy), "-a", "dlcourse_mlp", "--format", fmt)
    assert refused.returncode == 2 and "await marking" in refused.stderr, refused.stderr
    assert not (graded_copy / "exports").exists()  # the answers are not graded: nothing sent
    proc = run_cli("export", str(graded_copy), "-a", "dlcourse_mlp", "--format", fmt,
                   "--allow-pending")
    assert proc.returncode == 0, proc.stderr
    assert (graded_copy / "exports" / file).stat().st_size > 0
    if fmt == "moodle":  # the sample that came in a Moodle download's folder
        rows = {r["Username"]: r for r in csv.DictReader((graded_copy / "exports" / file).open())}
        assert rows["missing_answers_4711"]["Identifier"] == "Participant 4711"
        # its report, as a feedback file Moodle's zip upload files under participant 4711
        with zipfile.ZipFile(graded_copy / "exports" / "moodle_feedback.zip") as zf:
            folder = "missing answers_4711_assignfeedback_file"
            assert zf.namelist() == [f"{folder}/dlcourse_mlp-feedback.pdf",
                                     f"{folder}/dlcourse_mlp-as-graded.html"]
            assert zf.read(zf.namelist()[0]).startswith(b"%PDF")
            assert b"MLP for MNIST with Keras" in zf.read(zf.namelist()[1])  # as it ran
        assert "1 report(s) as Moodle feedback files" in proc.stdout
        assert "7 student(s) not in the feedback zip" in proc.stderr  # no participant number
    if fmt == "canvas":  # one sample came from Canvas' download
        with zipfile.ZipFile(graded_copy / "exports" / "canvas_feedback.zip") as zf:
            assert zf.namelist() == ["doejane_12345_67890_full_solution.ipynb"]
        assert "1 notebook(s) with feedback on top" in proc.stdout
        assert "7 student(s) not in the feedback zip" in proc.stderr
        assert "7 of 8 row(s) have an empty ID (Canvas skips the row)" in " ".join(
            proc.stderr.split())
    if fmt == "blackboard":  # no sample came from Blackboard's download: each is named
        assert "8 student(s) whose file names are not from Blackboard's download" in \
            proc.stderr
        assert "and 3 more" in " ".join(proc.stderr.split())  # five named, as everywhere


def test_export_of_an_assignment_the_gradebook_does_not_hold_is_refused(graded_copy):
    proc = run_cli("export", str(graded_copy), "-a", "kit_blatt10", "--format", "csv")
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "holds no results of kit_blatt10 (it holds: dlcourse_mlp)" \
        in said, said
    assert not (graded_copy / "exports").exists()


def test_export_refuses_a_column_id_it_cannot_use_before_writing(graded_copy):
    for args, says in [(["--format", "csv", "--column-id", "12"],
                        "--column-id is for canvas and blackboard only, not csv"),
                       (["--format", "blackboard", "--column-id", "_12"], "is not a number")]:
        proc = run_cli("export", str(graded_copy), "-a", "dlcourse_mlp", *args)
        assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert not (graded_copy / "exports").exists()


def test_canvas_gets_each_notebook_back_as_it_ran_with_its_feedback_on_top(graded_copy, tmp_path):
    from grader.assignment.pack import find_pack
    from grader.report.outputs import canvas_feedback, class_results

    pack = find_pack("dlcourse_mlp")
    with Gradebook(graded_copy / "gradebook.sqlite") as book:
        results = {r["student"]: r for r in class_results(book, pack)}
    r = results["raises_in_cell8"] | {"file": "/dl/raisesincell_4711_99_mlp.ipynb"}
    packed = canvas_feedback([r, results["truncated_json"] | {"file": "/dl/t_5_6_x.ipynb"}],
                             pack, tmp_path)
    with zipfile.ZipFile(packed.zip_path) as zf:
        assert zf.namelist() == ["raisesincell_4711_99_mlp.ipynb", "t_5_6_x.ipynb"]
        back = nbformat.reads(zf.read("raisesincell_4711_99_mlp.ipynb").decode(), as_version=4)
        broken = nbformat.reads(zf.read("t_5_6_x.ipynb").decode(), as_version=4)
    nbformat.validate(back)
    assert back.cells[0].source.startswith(f"# Feedback: {pack.spec.title}")
    assert "cell 8: NameError" in back.cells[0].source
    original = nbformat.read(SAMPLES / "raises_in_cell8.ipynb", as_version=4)
    assert [c.source for c in back.cells[1:]] == [c.source for c in original.cells]
    assert any(o.get("ename") == "NameError" for c in back.cells for o in c.get("outputs", []))
    assert len(broken.cells) == 1 and "could not be graded" in broken.cells[0].source


# what a browser says of a page: no sideways scroll of the page itself, every chart loaded
# and on screen, tables wider than the screen only inside their own scrolling box
DRAWN = """{page: document.documentElement.scrollWidth, view: window.innerWidth,
  charts: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0
    && i.getBoundingClientRect().right <= window.innerWidth),
  rows: document.querySelectorAll("tbody tr").length,
  loose: Array.from(document.querySelectorAll("table")).filter(t =>
    t.getBoundingClientRect().right > window.innerWidth && !t.closest(".scroll")).length}"""


@pytest.mark.parametrize("width", [390, 1000])
@pytest.mark.parametrize("page", ["summary.html", "doejane/report.html"])
def test_pages_as_a_browser_draws_them_at_phone_and_desktop_width(batch, page, width):
    drawn = in_browser(batch["out"] / page, DRAWN, width=width)
    assert drawn["page"] <= drawn["view"] + 1, drawn  # 1 px: sub-pixel rounding
    assert drawn["charts"] and all(drawn["charts"]), drawn
    assert drawn["rows"] >= 4 and drawn["loose"] == 0, drawn


def test_a_batch_runs_with_what_came_before_it_left_out_of_collections():
    from grader.cli.main import _settled

    assert gc.get_freeze_count() == 0
    with _settled():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # an in-process caller gets its collections back


def test_the_command_ends_without_collecting_everything_once_more(monkeypatch):
    from grader.cli import main as cli

    monkeypatch.setattr(sys, "argv", ["grader", "--help"])
    try:
        with pytest.raises(SystemExit):
            cli.main()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_check_of_an_assignment_of_several_notebooks_takes_their_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), folder / "scratch.ipynb")
    proc = run_cli("check", str(folder), "-a", "zhaw_cnn", "--out", str(tmp_path / "out"))
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "none of the assignment's notebooks" in said
    assert "08_cnn1_mnist.ipynb" in said
    proc = run_cli("check", str(tmp_path / "nope.ipynb"), "-a", "zhaw_cnn")
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "this assignment is 3 notebooks: give the folder" in said


def test_a_class_list_adds_who_handed_nothing_in_and_gives_the_exports_their_ids(graded_copy):
    out = graded_copy
    assert run_cli("report", str(out), "-a", "dlcourse_mlp", "--no-pdf").returncode == 0
    students = [r["student"] for r in csv.DictReader((out / "grades.csv").open())]
    roster = out / "class.csv"
    roster.write_text("student,name,email,lms_id\n"
                      + "".join(f"{s},{s.title()},{s}@uni.example,{n}\n"
                                for n, s in enumerate(students, 100))
                      + "nobody,No Body,nobody@uni.example,999\n", encoding="utf-8")
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--no-pdf", "--roster",
                   str(roster), "--missing", "zero")
    assert proc.returncode == 0, proc.stderr
    assert "1 student(s) of the class list handed nothing in (0 points): nobody" in (
        " ".join(proc.stderr.split()))
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert (rows["nobody"]["status"], rows["nobody"]["score"]) == ("no submission", "0")
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "1 student(s) of the class list handed nothing in" in summary
    assert "<h2>Handed nothing in</h2>" in summary and ": nobody.</p>" in summary
    (out / "summary.pdf").write_bytes(b"printed before the class list was read")
    proc = run_cli("report", str(out), "-a", "dlcourse_mlp", "--no-pdf", "--roster",
                   str(roster))
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.pdf").read_bytes().startswith(b"%PDF")  # printed again with it
    proc = run_cli("export", str(out), "-a", "dlcourse_mlp", "--format", "canvas",
                   "--allow-pending", "--roster", str(roster))
    assert proc.returncode == 0, proc.stderr
    (written,) = (out / "exports").glob("canvas*.csv")
    ids = [row[1] for row in csv.reader(written.open())][2:]
    assert ids and all(ids)  # every row has a Canvas ID: its file name's, or the list's
    assert "empty ID" not in proc.stderr


def test_a_check_a_failed_cell_explains_says_so_and_links_to_it(batch):
    report = (batch["out"] / "raises_in_cell8" / "report.html").read_text(encoding="utf-8")
    assert 'Cell 8 failed (<code>NameError</code>' in report
    assert '<a href="#cell-8">see the cell</a>' in report and 'id="cell-8"' in report


def test_the_full_solutions_report_prints_on_three_a4_pages_saying_each_fact_once(batch):
    student = batch["out"] / "doejane"
    info = subprocess.run(["pdfinfo", str(student / "report.pdf")], capture_output=True,
                          text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines()
                     if line.startswith("Pages:")))
    assert pages <= 3, info
    report = (student / "report.html").read_text(encoding="utf-8")
    assert report.count("Measured by the grader on the") == 2  # two models, each said once
