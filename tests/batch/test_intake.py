"""Which notebooks a batch grades: one student's several notebooks joined into one."""

from __future__ import annotations

import nbformat
import pytest

from grader.assignment.parts import cell_parts, missing_parts
from grader.batch.intake import discover, join_submissions, submissions

NAMES = ("08_cnn1_mnist.ipynb", "08_cnn2_mnist_No_solution.ipynb")


def notebook(path, source="x = 1"):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def joined(folder, dest):
    paths, warnings = join_submissions(discover(folder), folder, NAMES, dest)
    return {sid: p for p, sid in submissions(paths, dest)}, warnings


def parts_of(path):
    cells = [dict(c) for c in nbformat.read(path, as_version=4).cells]
    return sorted(set(cell_parts(cells).values())), missing_parts(cells)


def test_a_folder_per_student_is_one_submission_each(tmp_path):
    folder = tmp_path / "in"
    notebook(folder / "Jane Doe_4711_assignsubmission_file_" / "08_cnn1_mnist.ipynb")
    notebook(folder / "Jane Doe_4711_assignsubmission_file_" / "08_cnn2_mnist_No_solution.ipynb")
    notebook(folder / "Jo Roe_4712_assignsubmission_file_" / "08_cnn2_mnist_No_solution.ipynb")
    by_student, warnings = joined(folder, tmp_path / "joined")
    assert sorted(by_student) == ["Jane_Doe_4711", "Jo_Roe_4712"] and warnings == []
    assert parts_of(by_student["Jane_Doe_4711"]) == (sorted(NAMES), [])
    assert parts_of(by_student["Jo_Roe_4712"])[1] == ["08_cnn1_mnist.ipynb"]


def test_canvas_files_in_one_folder_are_grouped_by_student(tmp_path):
    folder = tmp_path / "in"
    notebook(folder / "doejane_11_21_08_cnn1_mnist.ipynb")
    notebook(folder / "doejane_LATE_11_22_08_cnn2_mnist_No_solution.ipynb")
    notebook(folder / "roejo_12_23_08_cnn1_mnist.ipynb")
    notebook(folder / "roejo_12_24_notes.ipynb")
    by_student, warnings = joined(folder, tmp_path / "joined")
    assert sorted(by_student) == ["doejane", "roejo"]
    assert parts_of(by_student["doejane"]) == (sorted(NAMES), [])
    assert len(warnings) == 1 and "roejo_12_24_notes.ipynb" in warnings[0]
    assert "left out of roejo's submission" in warnings[0]


def test_one_students_folder_is_that_student(tmp_path):
    folder = tmp_path / "jane"
    notebook(folder / "08_cnn1_mnist.ipynb")
    notebook(folder / "08_cnn2_mnist_No_solution.ipynb")
    by_student, _ = joined(folder, tmp_path / "joined")
    assert list(by_student) == ["jane"]


def test_one_notebook_of_everything_is_graded_as_handed_in(tmp_path):
    folder = tmp_path / "in"
    one = notebook(folder / "kim" / "all_in_one.ipynb", "y = 2")
    by_student, _ = joined(folder, tmp_path / "joined")
    assert list(by_student) == ["kim"]
    assert by_student["kim"].read_bytes() == one.read_bytes()


def test_joining_again_gives_the_same_files(tmp_path):
    folder = tmp_path / "in"
    notebook(folder / "s1" / "08_cnn1_mnist.ipynb")
    first, _ = joined(folder, tmp_path / "joined")
    data = first["s1"].read_bytes()
    again, _ = joined(folder, tmp_path / "joined")
    assert again["s1"].read_bytes() == data  # so an unchanged submission is not run again


@pytest.mark.parametrize("bad", ["{", ""])
def test_a_broken_part_is_that_students_error_not_the_batchs(tmp_path, bad):
    folder = tmp_path / "in"
    notebook(folder / "s1" / "08_cnn1_mnist.ipynb")
    (folder / "s2").mkdir(parents=True)
    (folder / "s2" / "08_cnn1_mnist.ipynb").write_text(bad)
    by_student, _ = joined(folder, tmp_path / "joined")
    assert sorted(by_student) == ["s1", "s2"]


def test_notebooks_of_everything_side_by_side_are_each_their_own_student(tmp_path):
    folder = tmp_path / "in"
    notebook(folder / "antwort_headings.ipynb")
    notebook(folder / "unlabelled_answers.ipynb")
    by_student, warnings = joined(folder, tmp_path / "joined")
    assert sorted(by_student) == ["antwort_headings", "unlabelled_answers"] and warnings == []
