"""Shared fixtures: MNIST locations, tiny data, and the sample batch graded once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.gradebook.store import Gradebook

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "submissions" / "dlcourse_mlp"


def _mnist() -> Path:
    env = os.environ.get("GRADER_MNIST")
    path = Path(env) if env else ROOT.parent / "shared" / "data" / "mnist.npz"
    if not path.exists():
        pytest.fail(f"MNIST not found at {path}: set GRADER_MNIST to a Keras-layout mnist.npz")
    return path.resolve()


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The real MNIST file (CI points GRADER_MNIST at ../shared/data/mnist.npz)."""
    return _mnist()


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small, random MNIST-shaped file in Keras layout."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("tiny") / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 300, dtype=np.uint8),
             x_test=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 100, dtype=np.uint8))
    return path


def run_cli(*args: str, env: dict[str, str] | None = None,
            cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed ``grader`` command as a user would."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    exe = Path(sys.executable).with_name("grader")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=1200)


def grade_folder(folder: Path, assignment: str, out: Path, mnist: Path,
                 *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    """Grade a folder through the CLI; return the run and the gradebook's results by student."""
    proc = run_cli("grade", str(folder), "--assignment", assignment, "--out", str(out), *extra,
                   env={"GRADER_MNIST": str(mnist)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Gradebook(out / "gradebook.sqlite") as book:
        return proc, {r["student"]: r for r in book.latest(assignment)}


def question(result: dict, qid: str) -> dict:
    """One question of a result."""
    return next(x for x in result["questions"] if x["id"] == qid)


def check_of(result: dict, qid: str, name: str) -> dict:
    """One check of a result, by question id and check name."""
    return next(c for c in question(result, qid)["checks"] if c["id"] == f"{qid}.{name}")


def automatic(result: dict) -> tuple[float, float]:
    """The points a result's automatic checks earned, and what they were worth."""
    from grader.grading.pack_check import automatic_points

    return automatic_points(result)


def assert_starter_earns_at_most_5_percent(result: dict) -> None:
    """The pack's unchanged starter: the code it was given earns (almost) nothing."""
    earned, worth = automatic(result)
    assert result["status"] == "graded"
    assert worth > 0 and earned <= 0.05 * worth, (earned, worth, [
        (c["id"], c["score"]) for q in result["questions"] for c in q["checks"] if c["score"]])


def assert_pack_ready(starter: dict, solution: dict) -> None:
    """What `grader pack check` asks of a pack, on its samples: starter ≤ 5 %, solution ≥ 90 %."""
    from grader.grading.pack_check import judge_pack

    verdict = judge_pack(starter, solution)
    assert verdict.ready, "\n".join(verdict.problems)


@pytest.fixture(scope="session")
def batch(tmp_path_factory: pytest.TempPathFactory, mnist_path: Path) -> dict:
    """The shipped samples plus two broken files, graded once through the CLI.

    Laid out as LMS downloads are: one sample in a Moodle folder of its own, with what
    unzipping and Jupyter leave beside submissions (none of it a submission).
    """
    folder = tmp_path_factory.mktemp("class")
    for nb in SAMPLES.glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    moodle = folder / "missing answers_4711_assignsubmission_file_"  # id missing_answers_4711
    moodle.mkdir()
    (folder / "missing_answers.ipynb").rename(moodle / "mlp.ipynb")
    for junk in (".ipynb_checkpoints/mlp-checkpoint.ipynb", "__MACOSX/._mlp.ipynb",
                 "._doejane_12345_67890_full_solution.ipynb"):
        (folder / junk).parent.mkdir(exist_ok=True)
        (folder / junk).write_bytes(b"\x00\x05\x16\x07 AppleDouble or a stale copy")
    (folder / "not_a_notebook.ipynb").write_text("print('hello')\n", encoding="utf-8")
    (folder / "truncated_json.ipynb").write_text('{"cells": [', encoding="utf-8")
    out = tmp_path_factory.mktemp("reports")
    proc, results = grade_folder(folder, "dlcourse_mlp", out, mnist_path)
    return {"folder": folder, "out": out, "proc": proc, "results": results}
