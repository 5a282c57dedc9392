"""Crash safety (``kill -9`` mid-batch, then the same command, loses nothing); kernels ahead.

Also which fork server a batch starts before it prepares anything.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import pytest

from grader.assignment.pack import find_pack
from grader.batch import intake
from grader.batch import run as runner
from grader.batch import start as batch
from grader.batch.options import BatchOptions
from grader.errors import GraderError
from grader.execute import kernels
from grader.execute.devices import Device, Devices
from grader.execute.environ import batch_kernel_env, font_cache, fork_server
from grader.execute.forkservers import PER_KERNEL, ForkServers
from grader.execute.sandbox import Sandbox, bwrap_problem
from grader.gradebook.store import Gradebook
from tests.conftest import FIXTURES, SAMPLES, run_cli

pytestmark = pytest.mark.kernel
STUDENTS = [f"student{i}" for i in range(1, 6)]


def _rows(db: Path) -> list[tuple[int, str, float]]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT id, student, finished_at FROM submissions ORDER BY id"
                           ).fetchall()
    except sqlite3.OperationalError:  # created but no table yet
        return []
    finally:
        con.close()


def _ours(out: Path) -> list[int]:
    """Processes whose command line names the output folder (kernels, sandboxes)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(out).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _gone(out: Path, seconds: float = 15.0) -> str:
    """Wait for every process of ``out`` to exit; describe those that do not."""
    deadline = time.monotonic() + seconds
    while (left := _ours(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    described = []
    for pid in left:
        try:
            cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes()[:200]
            state = (Path("/proc") / str(pid) / "status").read_text().splitlines()[:7]
            described.append(f"{pid}: {cmd!r} {state}")
        except OSError:
            continue
    return "; ".join(described)


def _kill_after(command: list[str], env: dict[str, str], db: Path, rows: int) -> None:
    """Start the grader and SIGKILL it as soon as the gradebook holds ``rows`` results."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(_rows(db)) < rows and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_minus_nine_then_resume_grades_everyone_once(tmp_path, mnist_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for student in STUDENTS:
        shutil.copy(FIXTURES / "raises_in_cell2.ipynb", folder / f"{student}.ipynb")
    args = ["grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out), "--no-pdf"]
    exe = str(Path(sys.executable).with_name("grader"))
    env = {**os.environ, "GRADER_MNIST": str(mnist_path)}
    db = out / "gradebook.sqlite"

    _kill_after([exe, *args], env, db, rows=1)
    first = _rows(db)
    _kill_after([exe, *args], env, db, rows=3)
    second = _rows(db)
    assert second[:len(first)] == first  # finished results survive a second kill

    proc = run_cli(*args, env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 0, proc.stderr
    assert _gone(out) == ""  # no kernel of a killed grader outlives the resumed batch
    final = _rows(db)
    assert final[:len(second)] == second
    assert sorted(s for _, s, _ in final) == STUDENTS  # each graded exactly once
    with Gradebook(db) as book:
        results = book.latest("dlcourse_mlp")
    assert [r["status"] for r in results] == ["graded"] * len(STUDENTS)
    assert all((out / s / "report.html").exists() for s in STUDENTS)


def test_kernels_are_started_ahead_and_never_shared(tmp_path, mnist_path):
    """One worker: the second kernel starts (Keras imported) while the first notebook runs."""
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    shutil.copy(FIXTURES / "sets_a_global.ipynb", folder / "a_first.ipynb")
    shutil.copy(FIXTURES / "looks_for_a_global.ipynb", folder / "b_second.ipynb")
    shutil.copy(FIXTURES / "prints_its_thread_caps.ipynb", folder / "c_third.ipynb")
    proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out), "--no-pdf",
                   "--workers", "1", env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 0, proc.stderr
    printed = {s: "".join(o.get("text", "") for c in nbformat.read(
        out / s / "executed.ipynb", as_version=4).cells for o in c.get("outputs", []))
        for s in ("a_first", "b_second", "c_third")}
    fonts = font_cache()  # matplotlib's font list, copied in: no kernel builds its own
    assert fonts is not None
    assert (out / "a_first" / "work" / ".matplotlib" / fonts.name).stat().st_size > 1000
    cores = len(os.sched_getaffinity(0))  # one worker: its kernel may use every core
    assert f"TF_NUM_INTRAOP_THREADS={cores}" in printed["c_third"]
    assert f"OMP_NUM_THREADS={cores}" in printed["c_third"]
    assert "keras preloaded: True" in printed["a_first"]
    assert "keras preloaded: True" in printed["b_second"]
    assert "leak seen: False" in printed["b_second"]  # a fresh kernel, not the first one's
    assert _gone(out) == ""


class _Recording(ForkServers):
    """Says which server each caller asked for (what decides its key); starts none."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, dict[str, str], list[str]]] = []

    def socket_for(self, python: Path, env: Mapping[str, str],
                   preload: Sequence[str]) -> str | None:
        shared = {k: v for k, v in env.items() if k not in PER_KERNEL}
        self.asked.append((str(python), shared, list(preload)))
        return "/nowhere/socket"


@pytest.mark.skipif(bwrap_problem() is not None, reason="kernels fork only into bubblewrap")
def test_the_fork_server_starts_first_and_is_the_one_the_kernels_ask_for(
        tmp_path, mnist_path, monkeypatch):
    """Started before the batch is prepared: so its key must be the kernels' own."""
    pack = find_pack("dlcourse_mlp")
    paths = [tmp_path / "a.ipynb", tmp_path / "b.ipynb"]  # not read before run_batch

    def settled(**options: Any) -> tuple[_Recording, dict[str, Any]]:
        servers, seen = _Recording(), {}
        monkeypatch.setattr(batch, "ForkServers", lambda fonts: servers)
        monkeypatch.setattr(runner, "run_batch", lambda *a, **kw: seen.update(
            inspect.signature(real_run).bind(*a, **kw).arguments))
        given = {"paths": paths, "workers": 2, "sandbox": Sandbox(mode="bwrap")} | options
        batch.grade_batch(given.pop("paths"), pack, tmp_path / "out", mnist_path,
                          BatchOptions(profile="fast", **given))
        return servers, seen

    real_run = runner.run_batch
    servers, seen = settled()
    assert seen["settled"].server == "/nowhere/socket" and seen["settled"].servers is servers
    (first,) = servers.asked
    # what a kernel of the batch asks for, in its own work dir (grade._launch)
    kernel = batch_kernel_env(tmp_path / "out" / "a" / "work", pack.spec.profile("fast"),
                              seen["settled"].threads, Device())
    assert fork_server(servers, kernel, None, pack.spec.kernel_preload) == seen["settled"].server
    assert servers.asked[1] == first
    assert first[1]["TF_NUM_INTRAOP_THREADS"] == str(max(1, len(os.sched_getaffinity(0)) // 2))
    for options in ({"paths": paths[:1]}, {"fresh_kernels": True},
                    {"devices": Devices(["0"])}, {"sandbox": Sandbox(mode="none")}):
        servers, seen = settled(**options)  # none: a kernel alone, fresh, on a GPU, unboxed
        assert servers.asked == [] and seen["settled"].server is None
        assert seen["settled"].servers is None


HEAVY = ("grader.batch.run", "matplotlib.pyplot", "papermill", "nbconvert", "jupyter_client")
_FIRST_ASK = """
import json, sys
from grader.batch import intake
from grader.batch import start as batch
from grader.cli import main as cli
from grader.execute.forkservers import ForkServers

class Asked(Exception):
    pass

heavy, report = json.loads(sys.argv[1]), sys.argv[5]

class First(ForkServers):
    def socket_for(self, python, env, preload):
        raise Asked([m for m in heavy if m in sys.modules])

batch.ForkServers = lambda fonts: First()
sys.argv = ["grader", "grade", sys.argv[2], "-a", "dlcourse_mlp", "--out", sys.argv[3],
            "--mnist", sys.argv[4], "--workers", "2", "--sandbox", "bwrap", "--no-pdf"]
try:
    cli.main()
except Asked as asked:
    with open(report, "w") as f:
        json.dump(asked.args[0], f)
"""


@pytest.mark.skipif(bwrap_problem() is not None, reason="kernels fork only into bubblewrap")
def test_the_fork_server_is_asked_for_before_the_heavy_imports(tmp_path, mnist_path):
    """``grader grade`` asks for its server before papermill, pyplot, Jupyter load.

    Those imports (over a second) then run while the server imports TensorFlow.
    """
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        shutil.copy(SAMPLES / "unchanged_starter.ipynb", folder / name)
    report = tmp_path / "loaded.json"
    out = subprocess.run([sys.executable, "-c", _FIRST_ASK, json.dumps(HEAVY), str(folder),
                          str(tmp_path / "out"), str(mnist_path), str(report)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(report.read_text()) == []


def test_discover_finds_notebooks_in_student_folders_and_nothing_else(tmp_path):
    def touch(rel: str) -> Path:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
        return tmp_path / rel

    wanted = [touch("doejane_1_2_mlp.ipynb"), touch("Jane Doe_4711_assignsubmission_file_/a.ipynb"),
              touch("bob/mlp.ipynb")]
    for rel in (".ipynb_checkpoints/mlp-checkpoint.ipynb", "__MACOSX/._mlp.ipynb", "._mlp.ipynb",
                "bob/.ipynb_checkpoints/mlp-checkpoint.ipynb", "bob/deep/er.ipynb",
                "notes.txt", "carol/mlp.py", "reports/doejane/executed.ipynb"):
        touch(rel)
    touch("doejane/executed.ipynb")  # graded into the folder itself: the grader's output
    touch("doejane/result.json")
    touch("roe/executed.ipynb")  # the same, from a batch stopped before roe's result
    touch("roe/kernel.log")
    assert intake.discover(tmp_path) == sorted(wanted)
    assert intake.discover(wanted[1]) == [wanted[1]]
    assert kernels.KERNEL_LOG in intake.GRADER_OUTPUT


def test_regrade_names_only_ids_of_the_batch(tmp_path):
    paths = [tmp_path / "doejane_1_2_mlp.ipynb", tmp_path / "s10.ipynb", tmp_path / "s2.ipynb"]
    ids = [student for _, student in intake.submissions(paths, tmp_path)]
    assert ids == ["doejane", "s10", "s2"]
    intake.check_regrade({"s2", "doejane"}, ids)  # known: nothing to say
    with pytest.raises(GraderError, match=r"--regrade doejan: no submission in this batch has "
                                          r"that id \(did you mean doejane\?\)"):
        intake.check_regrade({"s2", "doejan"}, ids)
    with pytest.raises(GraderError, match=r"--regrade s3: .* \(ids are the names in grades.csv"):
        intake.check_regrade({"zz", "s3", "s11"}, ids)  # the first in class-list order: s3
