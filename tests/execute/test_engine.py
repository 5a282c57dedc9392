"""Execution: papermill with the grader's engine, run on real kernels."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import nbformat
import papermill.engines
import pytest

from grader.execute.collect import read_figures
from grader.execute.engine import ExecutionManager, execute, prepare, start_death_hint
from grader.execute.environ import kernel_env
from grader.execute.inject import budget_cell, probe_cell, setup_cell
from grader.notebook import INJECTED_TAG, read_notebook
from grader.report.notebook_page import export_html
from tests.conftest import FIXTURES

pytestmark = pytest.mark.kernel


def marker(text: str) -> nbformat.NotebookNode:
    """A light injected cell (no TensorFlow) standing in for setup or probe."""
    cell = nbformat.v4.new_code_cell(f"print({text!r})")
    cell.metadata["tags"] = [INJECTED_TAG]
    return cell


def run(name: str, tmp_path: Path, **kwargs):
    nb = prepare(read_notebook(FIXTURES / name), marker("setup"), marker("probe"))
    kwargs.setdefault("kernel_env", kernel_env(tmp_path, 0, "test"))
    result = execute(nb, tmp_path, **kwargs)
    return result, nbformat.read(result.executed_path, as_version=4)


def outputs(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_parameters_injected_under_any_kernelspec_name(tmp_path):
    result, nb = run("has_parameters_cell.ipynb", tmp_path, parameters={"epochs": 2})
    assert "epochs 2 default" in outputs(nb)
    assert result.failures == () and result.parameters == {"epochs": 2}
    assert nb.metadata.kernelspec.name == "grader-python"
    assert (tmp_path / "executed.ipynb").exists()
    # papermill got a prepared notebook, not a path: no second copy of it in the metadata
    assert nb.metadata.papermill.input_path is None
    assert (tmp_path / "executed.ipynb").read_text().count("print('epochs', epochs") == 1
    assert not list(tmp_path.rglob("history.sqlite"))  # IPython keeps no history of cells


def test_execution_goes_on_after_a_failing_cell(tmp_path):
    result, nb = run("raises_in_cell2.ipynb", tmp_path)
    assert [(f.cell, f.ename) for f in result.failures] == [(2, "ZeroDivisionError")]
    assert "after 2" in outputs(nb) and outputs(nb).rstrip().endswith("probe")
    page = export_html(result.executed_path).read_text()
    assert page.startswith("<!DOCTYPE html>") and "ZeroDivisionError" in page
    assert "setup" not in page and "probe" not in page  # injected cells are left out


def test_cell_timeout_interrupts_and_continues(tmp_path):
    result, nb = run("sleeps_past_cell_timeout.ipynb", tmp_path, cell_timeout=2)
    assert [(f.cell, f.ename) for f in result.failures] == [(1, "CellTimeout")]
    assert "still graded" in outputs(nb) and result.seconds < 60


def test_notebook_deadline_skips_the_rest_but_runs_the_probe(tmp_path):
    result, nb = run("sleeps_in_every_cell.ipynb", tmp_path, notebook_timeout=2)
    assert result.deadline_hit and result.cells_skipped >= 2
    assert outputs(nb).rstrip().endswith("probe")


def test_dead_kernel_is_reported_with_its_cell(tmp_path):
    result, _ = run("kills_kernel_in_cell1.ipynb", tmp_path)
    assert result.kernel_died_in == 1
    assert result.failures[0].ename == "KernelDied"
    assert not [n for n in result.notes if "stopped early" in n]  # said with its cell only


def test_the_output_is_written_at_start_and_end_and_between_cells_only_now_and_then(
        tmp_path, monkeypatch):
    writes: list[str] = []
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: writes.append(path))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(str(i)) for i in range(5)])
    nb.metadata["papermill"] = {}
    man = ExecutionManager(nb, output_path=str(tmp_path / "out.ipynb"), progress_bar=False,
                           autosave_cell_every=30)
    man.notebook_start()
    for index, cell in enumerate(nb.cells):
        man.cell_start(cell, index)
        man.cell_complete(cell, index)
    assert len(writes) == 1  # papermill alone: 11
    man.last_save_time -= timedelta(seconds=31)  # a long cell: its end is written
    man.cell_complete(nb.cells[-1], len(nb.cells) - 1)
    assert len(writes) == 2
    man.notebook_complete()
    assert len(writes) == 3


def test_parameters_without_parameters_cell_are_noted(tmp_path):
    result, _ = run("raises_in_cell2.ipynb", tmp_path, parameters={"epochs": 1})
    assert result.parameters == {} and "no cell tagged `parameters`" in result.notes[0]


def test_real_setup_and_probe_collect_models_offline(tmp_path, tiny_mnist):
    """Offline load_data, figure capture and the probe, on a notebook with odd structures."""
    nb = read_notebook(FIXTURES / "models_in_containers.ipynb")
    nb = prepare(nb, [setup_cell(7, tiny_mnist, tmp_path / "figures"), budget_cell(max_epochs=1)],
                 probe_cell(tmp_path))
    result = execute(nb, tmp_path, kernel_env=kernel_env(tmp_path, 7, "test"),
                     read_only=[tiny_mnist])
    assert result.failures == ()
    executed = nbformat.read(result.executed_path, as_version=4)
    assert "(300, 28, 28) (100, 28, 28)" in outputs(executed)  # the tiny copy, not a download
    assert "path= (100, 28, 28)" in outputs(executed)  # Keras' own keyword, tf.keras spelling
    assert "`%matplotlib qt` has no window here" in outputs(executed)  # and no ImportError
    assert "`%tensorflow_version 2.x` is Colab's" in outputs(executed)  # and no UsageError
    probe = json.loads((tmp_path / "probe.json").read_text())
    by_path = {m["path"]: m for m in probe["models"]}
    assert set(by_path) == {"models[0]", "models[1]", "functional", "unbuilt"}
    first = by_path["models[0]"]
    assert first["total_params"] == 784 * 8 + 8 + 8 * 10 + 10
    assert first["optimizer"] == {"class_name": "SGD", "learning_rate": pytest.approx(0.1)}
    assert first["loss"] == "categorical_crossentropy"
    assert first["layers"][0]["kernel_regularizer"]["class_name"] == "L2"
    assert by_path["functional"]["layers"][-1]["activity_regularizer"]["class_name"] == "L1"
    assert by_path["functional"]["input_shape"] == [None, 28, 28]
    assert by_path["unbuilt"]["file"] is None and "never built" in by_path["unbuilt"][
        "export_error"]
    assert (tmp_path / first["file"]).suffix == ".keras"
    hist = {h["path"]: h for h in probe["histories"]}
    assert hist["fits['first']"]["model_id"] == first["id"]
    first_fit = hist["fits['first']"]
    assert first_fit["epochs_run"] == 1 and first_fit["epochs_requested"] == 2  # capped
    assert "val_loss" in first_fit["history"]
    assert hist["models[1].history"]["epochs_run"] == 1
    assert {"path": "cm", "shape": [10, 10], "sum": 10.0, "trace": 10.0} in probe["arrays"]
    figures = read_figures(tmp_path / "figures")
    assert [f["title"] for f in figures] == ["Loss curve", "Confusion"]
    assert figures[1]["axes"][0]["images"] == [[10, 10]]
    shown = [o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get(
        "data", {})]
    assert len(shown) == 2  # figures appear in the executed notebook as Jupyter shows them


def test_cell_that_ignores_the_interrupt_loses_its_kernel(tmp_path):
    result, _ = run("ignores_interrupt_in_cell1.ipynb", tmp_path, cell_timeout=2)
    assert result.kernel_died_in == 1 and result.seconds < 30
    assert "ignored the interrupt" in result.failures[0].evalue


def test_without_bubblewrap_the_limits_still_apply(tmp_path, monkeypatch):
    from grader.execute.sandbox import GIB, Limits, Sandbox

    monkeypatch.setenv("GRADER_TEST_SECRET", "x")
    result, nb = run("prints_its_limits.ipynb", tmp_path, sandbox=Sandbox("none", Limits(
        memory=3 * GIB)))
    text = outputs(nb)
    assert result.failures == ()
    assert f"AS {3 * GIB}" in text or "CGROUP True" in text  # a memory cap, one way or another
    assert f"HOME {tmp_path.resolve()}" in text and "SECRET False" in text


def test_a_gpu_kernel_that_died_at_start_under_an_rlimit_cap_says_what_to_try():
    """Seen on an H100: CUDA's libraries filled a 4 GiB RLIMIT_DATA; 16 GiB graded."""
    died = "Kernel died before replying to kernel_info"
    hint = start_death_hint(died, 4 << 30, cgroup_caps_memory=False, gpu=True)
    assert hint and "4 GiB" in hint and "--memory" in hint
    assert start_death_hint(died, 4 << 30, cgroup_caps_memory=False, gpu=False) is None
    assert start_death_hint(died, 4 << 30, cgroup_caps_memory=True, gpu=True) is None
    assert start_death_hint(died, 0, cgroup_caps_memory=False, gpu=True) is None
    assert start_death_hint("Cell timed out", 4 << 30, cgroup_caps_memory=False,
                            gpu=True) is None


@pytest.mark.parametrize("mode, cgroup", [("bwrap", True), ("bwrap", False), ("none", False)])
def test_a_notebook_over_the_disk_cap_loses_its_kernel_and_what_it_wrote(
        tmp_path, monkeypatch, mode, cgroup):
    """Killed by its cgroup, or (without one) through its launcher; then its files go."""
    from grader.execute.sandbox import Limits, Sandbox, bwrap_problem

    if mode == "bwrap" and bwrap_problem():
        pytest.fail(f"bubblewrap is part of the grader's install: {bwrap_problem()}")
    if not cgroup:
        monkeypatch.setattr("grader.execute.kernels.Cgroup.create", lambda *a, **k: None)
    result, nb = run("writes_past_the_disk_cap_in_cell2.ipynb", tmp_path,
                     sandbox=Sandbox(mode, Limits(disk=32 << 20)), keep={"notes.txt": 100})
    assert result.kernel_died_in == 2 and result.seconds < 30
    assert "more than 32 MiB of files" in result.failures[0].evalue
    assert "--disk" in result.failures[0].evalue and "after the cap" not in outputs(nb)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["executed.ipynb", "kernel.log", "notes.txt"]


def test_pip_install_answers_at_once_without_network(tmp_path):
    """Colab notebooks start with `!pip install`: offline, pip retried for 8 s each time."""
    result, nb = run("pip_installs_in_cell1.ipynb", tmp_path)
    text = outputs(nb)
    assert "No matching distribution found for icecream" in text and "Retrying" not in text
    assert "Requirement already satisfied: numpy" in text
    assert [c.metadata.grader["seconds"] < 5 for c in nb.cells[1:3]] == [True, True]


def test_over_the_disk_cap_in_the_grader_s_own_cell_is_said_in_a_note(tmp_path):
    """No student cell to blame (a thread of theirs wrote while the probe ran): a note."""
    from grader.execute.sandbox import Limits, Sandbox

    probe = nbformat.v4.new_code_cell(
        "import time\nwith open('big.bin', 'wb') as f:\n    f.write(b'0' * (64 << 20))\n"
        "time.sleep(30)")
    probe.metadata["tags"] = [INJECTED_TAG]
    nb = prepare(read_notebook(FIXTURES / "raises_in_cell2.ipynb"), marker("setup"), probe)
    result = execute(nb, tmp_path, kernel_env=kernel_env(tmp_path, 0, "test"),
                     sandbox=Sandbox("auto", Limits(disk=32 << 20)))
    assert result.kernel_died_in is None and result.seconds < 25
    assert [n for n in result.notes if n.startswith("While the grader's own cells ran, the "
                                                    "notebook wrote more than 32 MiB")]
    assert not (tmp_path / "big.bin").exists()
