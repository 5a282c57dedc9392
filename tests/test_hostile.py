"""The hostile samples, graded in one sandboxed batch with an honest submission among them.

For each: the batch finishes, the honest submission's grade is what it gets alone,
the hostile one is recorded with a clear reason, and nothing outside its work dir
changed. A fake home directory with a planted SSH key stands in for the instructor's.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grader.execute.sandbox import bwrap_problem
from grader.gradebook.store import Gradebook
from grader.report.notebook_page import NO_SCRIPTS
from tests.browser import in_browser
from tests.conftest import ROOT, SAMPLES, run_cli

pytestmark = pytest.mark.kernel
HOSTILE = ROOT / "submissions" / "hostile"
PACK = ROOT / "reference" / "dlcourse_mlp"
CANARY = "CANARY-SSH-KEY-0f3a"


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file below ``root``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory, mnist_path: Path) -> SimpleNamespace:
    """Every hostile sample plus the unchanged starter, graded once through the CLI."""
    problem = bwrap_problem()
    assert problem is None, f"the hostile suite runs sandboxed: {problem}"
    base = tmp_path_factory.mktemp("hostile")
    folder, home, out = base / "class", base / "home", base / "out"
    folder.mkdir()
    for nb in HOSTILE.glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    shutil.copy(SAMPLES / "unchanged_starter.ipynb", folder / "unchanged_starter.ipynb")
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(CANARY)
    before = {"class": tree(folder), "pack": tree(PACK), "ssh": tree(home / ".ssh")}
    proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out), "--no-pdf",
                   "--cell-timeout", "30", "--memory", "2G", "--disk", "256M",
                   env={"GRADER_MNIST": str(mnist_path), "HOME": str(home)})
    with Gradebook(out / "gradebook.sqlite") as book:
        results = {r["student"]: r for r in book.latest("dlcourse_mlp")}
        rows = book.count()
    after = {"class": tree(folder), "pack": tree(PACK), "ssh": tree(home / ".ssh")}
    return SimpleNamespace(proc=proc, results=results, rows=rows, before=before, after=after,
                           base=base, out=out, home=home)


def failures(result: dict) -> list[tuple[int, str, str]]:
    return [(f["cell"], f["ename"], f["evalue"]) for f in result["execution"]["failures"]]


def output_text(hostile: SimpleNamespace, student: str) -> str:
    nb = nbformat.read(hostile.out / student / "executed.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_the_batch_finishes_and_records_everyone_once(hostile):
    assert hostile.proc.returncode == 0, hostile.proc.stderr
    students = {p.stem for p in HOSTILE.glob("*.ipynb")} | {"unchanged_starter"}
    assert set(hostile.results) == students and hostile.rows == len(students)


def test_nothing_outside_the_work_dirs_changed(hostile):
    assert hostile.after == hostile.before  # submissions, the pack's expected results, ~/.ssh
    planted = [p for p in hostile.base.rglob("PWNED")]
    planted += [Path(p) for p in ("/tmp/PWNED", "/work/PWNED", "/PWNED") if Path(p).exists()]
    assert planted == []
    assert not (hostile.home / "LAMBDA_RAN").exists() and not (ROOT / "LAMBDA_RAN").exists()


def test_honest_grade_is_unchanged_and_reproducible(hostile, batch):
    """Same notebook, same profile, another batch (of hostile peers): the same grade."""
    ours, alone = hostile.results["unchanged_starter"], batch["results"]["unchanged_starter"]
    assert ours["score"] == alone["score"] and ours["seed"] == alone["seed"]
    acc = [m["evaluation"]["accuracy"] for m in ours["models"]]
    assert acc == [m["evaluation"]["accuracy"] for m in alone["models"]]


def test_infinite_loop_is_interrupted_and_the_rest_graded(hostile):
    r = hostile.results["infinite_loop_in_cell5"]
    assert [(c, e) for c, e, _ in failures(r)] == [(5, "CellTimeout")]
    assert r["score"] == hostile.results["unchanged_starter"]["score"]


def test_memory_bomb_is_killed_with_the_reason(hostile):
    r = hostile.results["memory_bomb"]
    assert r["status"] == "graded"
    (cell, ename, evalue), = failures(r)
    assert cell == 2 and (ename == "MemoryError" or "memory" in evalue)


def test_disk_bomb_is_killed_and_what_it_wrote_deleted(hostile):
    r = hostile.results["fills_the_disk"]
    assert r["status"] == "graded"
    (cell, ename, evalue), = failures(r)
    assert (cell, ename) == (3, "KernelDied") and "more than 256 MiB of files" in evalue
    assert "after the disk bomb" not in output_text(hostile, "fills_the_disk")
    work = hostile.out / "fills_the_disk" / "work"
    assert {p.name for p in work.rglob("*") if p.is_file()} <= {"figures.jsonl"}


def test_fork_bomb_is_capped_and_leaves_nothing_running(hostile):
    r = hostile.results["fork_bomb"]
    assert r["status"] == "graded"
    assert "Cannot fork" in output_text(hostile, "fork_bomb")
    bombs = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"b|b" in (proc / "cmdline").read_bytes():
                bombs.append(proc.name)
        except OSError:
            continue
    assert bombs == []


def test_os_exit_is_a_dead_kernel_in_its_cell_only(hostile):
    r = hostile.results["os_exit_in_cell2"]
    assert r["execution"]["kernel_died_in"] == 2
    assert [(c, e) for c, e, _ in failures(r)] == [(2, "KernelDied")]
    # the report's first line says it, with the cell: no note says it again
    assert not [n for n in r["notes"] if "died" in n or "stopped" in n or "collected" in n]


def test_sys_exit_does_not_stop_the_notebook(hostile):
    r = hostile.results["sys_exit_in_cell2"]
    assert [(c, e) for c, e, _ in failures(r)] == [(2, "SystemExit")]
    assert "still running after sys.exit" in output_text(hostile, "sys_exit_in_cell2")


def test_a_flood_of_output_is_cut(hostile):
    r = hostile.results["prints_500mb"]
    assert r["status"] == "graded"
    executed = hostile.out / "prints_500mb" / "executed.ipynb"
    assert executed.stat().st_size < 20 << 20
    assert "output cut here" in output_text(hostile, "prints_500mb")
    assert (hostile.out / "gradebook.sqlite").stat().st_size < 20 << 20


def test_secrets_are_out_of_reach(hostile):
    stolen = (hostile.out / "reads_secrets" / "work" / "stolen.txt").read_text()
    assert CANARY not in stolen
    assert "SQLite format 3" not in stolen  # no gradebook
    assert '"checks"' not in stolen and "root:" not in stolen  # no expected results, no shadow
    assert hostile.results["reads_secrets"]["status"] == "graded"


def test_no_network(hostile):
    text = output_text(hostile, "opens_network")
    assert "CONNECTED" not in text and text.count("blocked") == 3


def test_writes_outside_land_nowhere(hostile):
    """Whatever the kernel believes it wrote outside its dir went to its private, lost /tmp."""
    text = output_text(hostile, "writes_outside_its_dir")
    wrote = ast.literal_eval(text.split("wrote ", 1)[1].strip())
    work = hostile.out / "writes_outside_its_dir" / "work"
    outside = [p for p in wrote if not Path(p).is_relative_to(work)]
    assert outside and not any(Path(p).exists() for p in outside)
    assert "refused: /usr/PWNED" in text


def test_other_submissions_survive_a_wipe(hostile):
    for student, result in hostile.results.items():
        if result["status"] == "graded":
            saved = json.loads((hostile.out / student / "result.json").read_text())
            assert saved["score"] == result["score"]
            assert (hostile.out / student / "executed.ipynb").exists()


def test_patched_evaluate_changes_nothing(hostile):
    r, honest = hostile.results["patches_evaluate"], hostile.results["unchanged_starter"]
    assert r["score"] == honest["score"]
    assert r["models"][0]["evaluation"]["accuracy"] == honest["models"][0]["evaluation"][
        "accuracy"] < 0.95
    assert r["models"][0]["verified"] and r["models"][0]["total_params"] == 12730


def test_model_swapped_after_the_probe_is_not_what_is_graded(hostile):
    r = hostile.results["replaces_model_after_probe"]
    assert r["score"] == hostile.results["unchanged_starter"]["score"]
    kept = hostile.out / "replaces_model_after_probe" / "collected" / "models" / "model-0.keras"
    assert kept.read_bytes()[:2] == b"PK"  # the saved model (a zip), not the swap
    work = hostile.out / "replaces_model_after_probe" / "work"
    assert list(work.glob(".probe-*/probe.json"))  # the probe ran there
    assert not list(work.glob(".probe-*/models/*"))  # its models moved out, not copied


def test_lambda_layer_is_refused_on_load(hostile):
    r = hostile.results["lambda_runs_code_on_load"]
    model = r["models"][0]
    assert "Lambda" in model["evaluation"]["error"] and "unverified" in model
    assert r["score"] == 0


def test_scripts_in_outputs_run_nowhere_the_pages_are_opened(hostile):
    """Its outputs stay in its page, under a policy that no browser runs a script of."""
    student = hostile.out / "scripts_in_its_outputs"
    page = (student / "executed.html").read_text()
    head = page.lower().index("<head")
    policy = page.index('http-equiv="Content-Security-Policy"')
    assert head < policy < page.lower().index("<script")  # governs every script after it
    assert "script-src 'none'" in page[policy:policy + 200]
    assert "document.title='PWNED-html'" in page  # the output is shown as it was...
    report = (student / "report.html").read_text()  # what it quotes, escaped
    assert "<script>document.title" not in report and 'onerror="document' not in report
    assert hostile.results["scripts_in_its_outputs"]["status"] == "graded"


def test_a_browser_runs_none_of_the_scripts_on_its_page(hostile, tmp_path):
    """Its outputs set the page's title when they run: in Chromium, under the policy, none does."""
    page = hostile.out / "scripts_in_its_outputs" / "executed.html"
    assert not in_browser(page, "document.title").startswith("PWNED")
    unguarded = tmp_path / "executed.html"  # the same page without the policy: they do run
    unguarded.write_text(page.read_text().replace(NO_SCRIPTS, ""))
    assert in_browser(unguarded, "document.title").startswith("PWNED")


@pytest.mark.parametrize(("student", "words"), [
    ("ten_thousand_cells", "10,000 cells"),
    ("invalid_json", "not valid JSON"),
    ("future_nbformat", "nbformat 5"),
])
def test_unreadable_files_are_recorded_with_the_reason(hostile, student, words):
    r = hostile.results[student]
    assert r["status"] == "error" and words in r["error"]
    assert os.path.basename(r["file"]) in r["error"]
    assert r["error_kind"] == "notebook"  # not graded again until the file changes
