"""``grader pack check``: a pack graded on its own starter and solution."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT, run_cli


def test_without_a_solution_it_says_what_to_give(tmp_path):
    proc = run_cli("pack", "check", "kit_blatt10")
    assert proc.returncode == 2
    said = " ".join(proc.stderr.split())
    assert "solution.ipynb: no solution notebook here: give --solution PATH" in said


@pytest.mark.kernel
def test_a_check_that_pays_for_given_code_is_named(tmp_path, mnist_path):
    packs = tmp_path / "packs"
    shutil.copytree(ROOT / "reference" / "kit_blatt10", packs / "kit_blatt10")
    spec = packs / "kit_blatt10" / "spec.toml"
    text = spec.read_text(encoding="utf-8")  # the example model's structure paid for again
    old = '{ check = "layer_structure", points = 0, reference = "example" }'
    assert old in text and "points = 0\nselect = { reference = \"example\"" in text
    spec.write_text(text.replace(old, old.replace("points = 0", "points = 1")).replace(
        "points = 0\nselect = { reference = \"example\"",
        "points = 1\nselect = { reference = \"example\""), encoding="utf-8")
    proc = run_cli("pack", "check", "kit_blatt10", "--solution",
                   str(ROOT / "submissions" / "kit_blatt10" / "full_solution.ipynb"),
                   env={"GRADER_PACKS": str(packs), "GRADER_MNIST": str(mnist_path)})
    said = " ".join(proc.stdout.split())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the unchanged starter earns 1 of 9 automatic points" in said
    assert "q1_example.layer_structure gives it 1 of 1: if it grades given code" in said
    assert "the solution 9 of 9" in said  # the solution is fine


def test_an_assignment_of_several_notebooks_asks_for_a_solution_folder(tmp_path):
    proc = run_cli("pack", "check", "zhaw_cnn")
    assert proc.returncode == 2
    said = " ".join(proc.stderr.split())
    assert "zhaw_cnn/solution: no solution folder here: give --solution PATH" in said
