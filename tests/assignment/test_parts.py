"""An assignment of several notebooks: files matched to parts, joined, cells placed in parts."""

from __future__ import annotations

import os

import nbformat
import pytest

from grader.assignment.parts import (
    cell_parts,
    join_folder,
    join_parts,
    match_parts,
    missing_parts,
    part_metadata,
    part_of,
    write_joined,
)
from grader.errors import NotebookError

NAMES = ("08_cnn1_mnist.ipynb", "08_cnn2_mnist_No_solution.ipynb", "08_faces.ipynb")


def notebook(path, *sources, markdown=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(("name", "part"), [
    ("08_cnn1_mnist.ipynb", "08_cnn1_mnist.ipynb"),
    ("doejane_4711_99_08_cnn1_mnist.ipynb", "08_cnn1_mnist.ipynb"),  # Canvas
    ("08_cnn2_mnist_No_solution-1.ipynb", "08_cnn2_mnist_No_solution.ipynb"),  # re-upload
    ("08 CNN2 MNIST no solution (1).ipynb", "08_cnn2_mnist_No_solution.ipynb"),
    ("08_faces.ipynb", "08_faces.ipynb"),
    ("my_solution.ipynb", None),
    ("08_cnn1_mnist.py", None),
])
def test_a_handed_in_file_is_matched_to_its_part_by_name(name, part):
    assert part_of(name, NAMES) == part


def test_the_longest_matching_name_wins():
    assert part_of("ex_cnn1_extra.ipynb", ("cnn1_extra.ipynb", "extra.ipynb")) == "cnn1_extra.ipynb"


def test_a_re_upload_replaces_the_older_file_and_other_files_are_named(tmp_path):
    old = notebook(tmp_path / "08_faces.ipynb", "x = 1")
    new = notebook(tmp_path / "08_faces-1.ipynb", "x = 2")
    os.utime(old, (1_000, 1_000))
    os.utime(new, (2_000, 2_000))
    other = notebook(tmp_path / "scratch.ipynb", "pass")
    found, rest = match_parts([old, new, other], NAMES)
    assert found == {"08_faces.ipynb": new} and rest == [other]


def test_joined_parts_open_with_their_name_and_a_missing_one_says_so(tmp_path):
    one = notebook(tmp_path / "08_cnn1_mnist.ipynb", "import keras", "model = 1",
                   markdown=["# CNN 1"])
    two = notebook(tmp_path / "08_cnn2_mnist_No_solution.ipynb", "import keras", "model = 2")
    nb = join_parts({NAMES[0]: one, NAMES[1]: two}, NAMES)
    nbformat.validate(nb)
    texts = [c.source for c in nb.cells]
    assert texts[0].startswith("# Notebook 1 of 3: `08_cnn1_mnist.ipynb`")
    assert "handed in as `08_cnn1_mnist.ipynb`" in texts[0]
    assert texts[4].startswith("# Notebook 2 of 3") and texts[7].startswith("# Notebook 3 of 3")
    assert "Not handed in" in texts[7]
    # the same source in two parts is told apart, at its end (line numbers unchanged)
    assert texts[5] == "import keras\n# (as in 08_cnn2_mnist_No_solution.ipynb)"
    cells = [dict(c) for c in nb.cells]
    parts = cell_parts(cells)
    assert [parts[n] for n in (1, 4, 5, 7, 8)] == [NAMES[0], NAMES[0], NAMES[1], NAMES[1],
                                                   NAMES[2]]
    assert missing_parts(cells) == [NAMES[2]]
    # what the grader keeps when it numbers cells still places them
    numbered = [{"metadata": {"grader": {"cell": n} | part_metadata(c)}}
                for n, c in enumerate(cells, 1)]
    assert cell_parts(numbered) == parts and missing_parts(numbered) == [NAMES[2]]


def test_a_plain_notebook_has_no_parts():
    assert cell_parts([{"cell_type": "code", "source": "x", "metadata": {}}]) == {}


def test_the_joined_file_is_dated_as_its_newest_part(tmp_path):
    one = notebook(tmp_path / "a" / "08_cnn1_mnist.ipynb", "x = 1")
    os.utime(one, (1_700_000_000, 1_700_000_000))
    out = write_joined({NAMES[0]: one}, NAMES, tmp_path / "joined" / "s1.ipynb")
    assert out.stat().st_mtime == 1_700_000_000
    again = write_joined({NAMES[0]: one}, NAMES, tmp_path / "joined" / "s2.ipynb")
    assert out.read_bytes() == again.read_bytes()  # unchanged parts: the same file


def test_a_part_that_is_no_notebook_costs_its_own_questions_only(tmp_path):
    bad = tmp_path / "08_faces.ipynb"
    bad.write_text("{not json")
    good = notebook(tmp_path / "08_cnn1_mnist.ipynb", "x = 1")
    nb = join_parts({NAMES[0]: good, NAMES[2]: bad}, NAMES)
    cells = [dict(c) for c in nb.cells]
    assert missing_parts(cells) == [NAMES[1], NAMES[2]]
    assert "**Could not be read** (`08_faces.ipynb`: not a notebook: the file is not valid " \
           "JSON)" in cells[-1]["source"]
    assert cells[1]["source"] == "x = 1"


def test_a_folder_with_none_of_the_notebooks_is_refused(tmp_path):
    notebook(tmp_path / "s" / "other.ipynb", "x = 1")
    with pytest.raises(NotebookError, match="none of the assignment's notebooks"):
        join_folder(tmp_path / "s", NAMES, tmp_path / "out.ipynb")
    notebook(tmp_path / "s" / ".ipynb_checkpoints" / "08_faces.ipynb", "x = 1")
    with pytest.raises(NotebookError):
        join_folder(tmp_path / "s", NAMES, tmp_path / "out.ipynb")
