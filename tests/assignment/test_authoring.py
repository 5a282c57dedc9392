"""A pack from one marked solution notebook (`grader pack new --from`)."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.assignment.authoring import new_pack, read_solution
from grader.assignment.spec_toml import load_spec
from grader.errors import SpecError
from tests.conftest import FIXTURES, run_cli

SOLUTION = FIXTURES / "solution_marked_mlp.ipynb"


def test_the_pack_holds_a_starter_without_solutions_and_a_spec_with_proposed_checks(tmp_path):
    folder = new_pack("my_mlp", SOLUTION, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "reference.py", "solution.ipynb", "spec.toml", "starter.ipynb"]
    starter = "\n".join(c.source for c in nbformat.read(folder / "starter.ipynb", 4).cells)
    assert "Dense(32" not in starter and "model.fit" not in starter and "overfit" in starter
    assert "# YOUR CODE HERE" in starter and "*Your answer here.*" in starter
    assert "model.compile(" in starter  # given code stays
    assert "BEGIN QUESTION" not in starter and "No: the validation" not in starter
    spec = load_spec(folder / "spec.toml")
    assert spec.title == "A small MLP on MNIST" and spec.reference_models == ("model",)
    q1, q2 = spec.questions
    assert (q1.id, q1.points, q1.select.reference) == ("q1_mlp", 4, "model")
    assert [c.name for c in q1.checks] == ["param_count", "layer_structure",
                                           "accuracy_threshold"]
    assert (q2.id, q2.points, [c.name for c in q2.checks]) == ("q2_overfit", 1,
                                                              ["answer_present"])
    text = (folder / "spec.toml").read_text()
    assert "# the solution's parameter count" in text  # each proposal says what it is


@pytest.mark.parametrize(("change", "words"), [
    (lambda cells: cells.pop(5), "question q1_mlp (cell 3) is not ended"),
    (lambda cells: cells[4].update(source="".join(cells[4]["source"]).replace(
        "# END SOLUTION\n", "", 1)),
     "cell 5: BEGIN SOLUTION inside a solution"),
    (lambda cells: [cells.pop(i) for i in (9, 8, 7, 6)], None),
    (lambda cells: cells[2].update(source="# BEGIN QUESTION\nname: Q 1\npoints: 4"),
     "cell 3: a question needs `name: <id>`"),
    (lambda cells: cells.__setitem__(slice(None), [c for c in cells
                                                   if c["cell_type"] != "raw"]),
     "no question marked"),
    (lambda cells: cells[8].update(source="Just text."), "cell 7: question q2_overfit builds "
                                                         "no Keras model"),
])
def test_bad_markers_are_one_clear_error_naming_the_cell_and_nothing_is_written(
        tmp_path, change, words):
    nb = json.loads(SOLUTION.read_text())
    change(nb["cells"])
    bad = tmp_path / "solution.ipynb"
    bad.write_text(json.dumps(nb))
    if words is None:  # a valid variant: the written question removed
        assert [b.name for b in read_solution(bad).blocks] == ["q1_mlp"]
        return
    with pytest.raises(SpecError, match=words.replace("(", r"\(").replace(")", r"\)")):
        new_pack("my_mlp", bad, tmp_path / "packs")
    assert not (tmp_path / "packs" / "my_mlp").exists()


def test_an_existing_pack_is_never_overwritten(tmp_path):
    new_pack("my_mlp", SOLUTION, tmp_path)
    with pytest.raises(SpecError, match="a pack of that id exists"):
        new_pack("my_mlp", SOLUTION, tmp_path)


@pytest.mark.kernel
def test_the_new_pack_passes_pack_check_from_the_command_line(tmp_path, mnist_path):
    made = run_cli("pack", "new", "my_mlp", "--from", str(SOLUTION), "--dest",
                   str(tmp_path / "packs"))
    assert made.returncode == 0, made.stderr
    checked = run_cli("pack", "check", "my_mlp", env={"GRADER_PACKS": str(tmp_path / "packs"),
                                                      "GRADER_MNIST": str(mnist_path)})
    said = " ".join(checked.stdout.split())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "the unchanged starter earns 0 of 4 automatic points" in said and "ready" in said


@pytest.mark.kernel
def test_a_solution_cell_that_fails_is_one_message_naming_the_cell(tmp_path, mnist_path):
    nb = json.loads(SOLUTION.read_text())
    nb["cells"][4]["source"] = "".join(nb["cells"][4]["source"]).replace(
        "keras.layers.Dense(32", "keras.layers.Dense(undefined_units", 1)
    bad = tmp_path / "solution.ipynb"
    bad.write_text(json.dumps(nb))
    assert run_cli("pack", "new", "my_mlp", "--from", str(bad), "--dest",
                   str(tmp_path / "packs")).returncode == 0
    checked = run_cli("pack", "check", "my_mlp", env={"GRADER_PACKS": str(tmp_path / "packs"),
                                                      "GRADER_MNIST": str(mnist_path)})
    said = " ".join(checked.stderr.split())
    assert checked.returncode == 2 and "Traceback" not in checked.stderr
    assert "solution.ipynb, cell 5 failed: NameError: name 'undefined_units'" in said
