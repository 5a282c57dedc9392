"""Keras 2 spellings on Keras 3: the compatibility cell translates, warns and records them."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from grader.assignment.pack import find_pack
from grader.execute.collect import locate_lines
from grader.execute.engine import execute, prepare
from grader.execute.environ import kernel_env
from grader.execute.inject import compat_cell, probe_cell, setup_cell
from grader.grading.submission import setup_cells
from grader.notebook import read_notebook
from tests.conftest import FIXTURES, grade_folder

SPELLINGS = FIXTURES / "uses_every_keras2_spelling.ipynb"
TWIN = FIXTURES / "keras2_twin_of_dlcourse_full_solution.ipynb"
ALL_SHIMS = {"layers_core", "layers_convolutional", "layers_pooling", "np_utils", "optimizer_lr",
             "fit_generator", "history_acc", "evaluate_generator", "predict_classes",
             "predict_proba"}


def run(tmp_path, tiny_mnist, compat: bool) -> tuple[object, nbformat.NotebookNode, dict]:
    nb = read_notebook(SPELLINGS)
    first = [setup_cell(7, tiny_mnist, tmp_path / "figures")]
    nb = prepare(nb, first + [compat_cell()] if compat else first, probe_cell(tmp_path))
    result = execute(nb, tmp_path, kernel_env=kernel_env(tmp_path, 7, "test"),
                     read_only=[tiny_mnist])
    executed = nbformat.read(result.executed_path, as_version=4)
    return result, executed, json.loads((tmp_path / "probe.json").read_text())


def text_of(executed: nbformat.NotebookNode, stream: str) -> str:
    return "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", [])
                   if o.get("name") == stream)


@pytest.mark.kernel
def test_every_keras2_spelling_runs_with_a_warning_naming_its_line(tmp_path, tiny_mnist):
    result, executed, probe = run(tmp_path, tiny_mnist, compat=True)
    assert result.failures == ()
    out = text_of(executed, "stdout")
    assert "learning rate 0.5" in out  # lr= was honoured, not dropped
    assert "acc 2" in out and "classes [" in out and "proba (2, 2)" in out
    warnings = text_of(executed, "stderr")
    assert "KerasCompatWarning: Keras 2 spelling at line 3: `opt = SGD(lr=0.5)`" in warnings
    assert "`learning_rate=`" in warnings
    cells = [dict(c) for c in read_notebook(SPELLINGS).cells]
    shims = locate_lines(probe["compat"], cells)
    assert {s["shim"] for s in shims} == ALL_SHIMS
    where = {s["shim"]: (s["cell"], s["line"], s["code"]) for s in shims}
    assert where["optimizer_lr"] == (3, 3, "opt = SGD(lr=0.5)")
    assert where["layers_core"] == (1, 3, "from keras.layers.core import Dense, Dropout")
    assert where["np_utils"][:2] == (2, 4)
    assert where["history_acc"][:2] == (4, 7)


@pytest.mark.kernel
def test_without_the_compat_cell_the_old_spellings_fail(tmp_path, tiny_mnist):
    result, _, probe = run(tmp_path, tiny_mnist, compat=False)
    first = result.failures[0]
    assert (first.cell, first.ename) == (1, "ModuleNotFoundError")
    assert "keras.layers.core" in first.evalue
    assert probe["compat"] == []


def test_a_pack_can_switch_the_compat_layer_off(tmp_path):
    pack_dir = tmp_path / "dlcourse_mlp"
    shutil.copytree(find_pack("dlcourse_mlp").root, pack_dir)
    spec = pack_dir / "spec.toml"
    assert find_pack("dlcourse_mlp", [tmp_path]).spec.compat is True
    names = [c.metadata["tags"][1] for c in setup_cells(find_pack("dlcourse_mlp", [tmp_path]),
                                                        0, tmp_path, tmp_path / "f")]
    assert names == ["grader-setup", "grader-compat", "grader-keras1"]
    spec.write_text(spec.read_text() + "\n[kernel]\ncompat = false\n")
    pack = find_pack("dlcourse_mlp", [tmp_path])
    assert pack.spec.compat is False
    assert [c.metadata["tags"][1] for c in setup_cells(pack, 0, tmp_path, tmp_path / "f")] == [
        "grader-setup"]


@pytest.mark.kernel
def test_keras2_twin_grades_as_its_keras3_twin(tmp_path, mnist_path, batch):
    folder = tmp_path / "twin"
    folder.mkdir()
    shutil.copy(TWIN, folder / TWIN.name)
    _, results = grade_folder(folder, "dlcourse_mlp", tmp_path / "out", mnist_path,
                              "--no-pdf")
    twin, original = results[TWIN.stem], batch["results"]["doejane"]
    assert twin["status"] == "graded"
    assert twin["score"] == original["score"]
    assert [(q["id"], q["score"]) for q in twin["questions"]] == [
        (q["id"], q["score"]) for q in original["questions"]]
    accuracy = {m["path"]: m["evaluation"]["accuracy"] for m in twin["models"]}
    assert accuracy == {m["path"]: m["evaluation"]["accuracy"] for m in original["models"]}
    assert {s["shim"] for s in twin["compat"]} == {"layers_core", "np_utils", "optimizer_lr",
                                                  "history_acc"}
    assert original["compat"] == []
    report = (tmp_path / "out" / TWIN.stem / "report.html").read_text()
    assert "Old Keras spellings to update" in report and "Adam(lr=0.001)" in report


KERAS1 = FIXTURES / "uses_keras1_and_late_keras2_spellings.ipynb"


@pytest.mark.kernel
def test_keras1_and_late_keras2_spellings_run_as_their_authors_meant(tmp_path, tiny_mnist):
    from grader.execute.inject import budget_cell, keras1_cell

    # a profile's subset of 16 samples: the fixture's 64 train as 2 batches of 8, not 8
    nb = prepare(read_notebook(KERAS1), [setup_cell(7, tiny_mnist, tmp_path / "figures"),
                                         budget_cell(train_limit=16), compat_cell(),
                                         keras1_cell()], probe_cell(tmp_path))
    result = execute(nb, tmp_path, kernel_env=kernel_env(tmp_path, 7, "test"),
                     read_only=[tiny_mnist])
    assert result.failures == ()
    out = text_of(nbformat.read(result.executed_path, as_version=4), "stdout")
    # Convolution2D(8, 3, 3) is 8 filters of 3×3 (Keras 1), not strides 3
    assert "conv (3, 3) (1, 1) same (None, 10)" in out
    assert "epochs 2" in out and "generator ImageDataGenerator" in out
    assert "head params 28" in out  # Dense(4) on batch_input_shape=(None, 6): 6 inputs
    assert "flow batches 2" in out and "dataset batches 2" in out
    shims = {s["shim"] for s in json.loads((tmp_path / "probe.json").read_text())["compat"]}
    assert shims >= {"keras1_convolution2d", "keras1_keywords", "keras1_nb_epoch",
                     "tf1_set_random_seed", "legacy_optimizer", "image_data_generator",
                     "pool_size_default", "layers_normalization", "history_acc",
                     "batch_input_shape"}
