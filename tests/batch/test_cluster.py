"""Grading through a dask.distributed cluster gives what grading here gives."""

from __future__ import annotations

import shutil
import time

import pytest

from grader.gradebook.store import Gradebook
from tests.conftest import FIXTURES, SAMPLES, run_cli

pytestmark = pytest.mark.kernel


def test_a_local_cluster_grades_like_the_local_path(tmp_path, mnist_path, batch):
    from distributed import LocalCluster

    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    shutil.copy(SAMPLES / "unchanged_starter.ipynb", folder)
    shutil.copy(FIXTURES / "raises_in_cell2.ipynb", folder)
    (folder / "broken.ipynb").write_text("{ nope")
    with LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out), "--no-pdf",
                       "--scheduler", cluster.scheduler_address,
                       env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Gradebook(out / "gradebook.sqlite") as book:
        results = {r["student"]: r for r in book.latest("dlcourse_mlp")}
    assert set(results) == {"unchanged_starter", "raises_in_cell2", "broken"}
    assert results["broken"]["status"] == "error" and "not valid JSON" in results["broken"][
        "error"]
    here, there = batch["results"]["unchanged_starter"], results["unchanged_starter"]
    assert there["score"] == here["score"]
    assert [m["evaluation"] for m in there["models"]] == [m["evaluation"] for m in here["models"]]
    assert (out / "unchanged_starter" / "report.html").exists()


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path, mnist_path):
    shutil.copy(FIXTURES / "raises_in_cell2.ipynb", tmp_path)
    proc = run_cli("grade", str(tmp_path), "-a", "dlcourse_mlp", "--out", str(tmp_path / "out"),
                   "--scheduler", "tcp://127.0.0.1:9", env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 2 and "cannot reach the dask scheduler" in proc.stderr


@pytest.mark.filterwarnings("ignore")
def test_a_stopped_batch_cancels_what_the_cluster_has_not_run(monkeypatch, tmp_path):
    """Ctrl-C in the grader: the cluster's workers do not go on grading the rest of the class.

    Closing the results closes the client, and dask drops what no client waits for.
    """
    from distributed import LocalCluster

    from grader.batch import cluster as distributed

    graded: list[str] = []

    def grade_remote(batch: object, path: str, student: str) -> dict:
        graded.append(student)
        time.sleep(0.3)
        return {"student": student}

    monkeypatch.setattr(distributed, "grade_remote", grade_remote)  # workers are threads here
    todo = [(tmp_path / f"s{i}.ipynb", f"s{i}") for i in range(20)]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        results = distributed.submit_all(cluster.scheduler_address, None, todo)  # type: ignore[arg-type]
        next(results)
        results.close()
        time.sleep(1.0)  # what was not cancelled would have gone on meanwhile
    assert len(graded) <= 3
