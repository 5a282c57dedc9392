"""Reading submissions: nbformat 4, or one clear error that names the file."""

from __future__ import annotations

import json

import nbformat
import papermill
import pytest

from grader.errors import NotebookError
from grader.notebook import MAX_CELLS, has_parameters_cell, read_notebook
from tests.conftest import FIXTURES


@pytest.mark.parametrize(("content", "words"), [
    ("", "the file is empty (0 bytes)"),
    ("print('hi')", "not valid JSON"),
    ('{"cells": [', "not valid JSON"),
    ('{"nbformat": 4, "nbformat_minor": 5, "cells": "nope", "metadata": {}}', "not a valid"),
])
def test_unreadable_notebooks_name_the_file(tmp_path, content, words):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookError) as info:
        read_notebook(path)
    assert words in str(info.value) and str(path) in str(info.value)


def _notebook(cells: int, version: int = 4) -> str:
    """A notebook's JSON text: ``cells`` markdown cells, claiming nbformat ``version``."""
    return json.dumps({"nbformat": version, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": "x"}
        for i in range(cells)]})


def test_a_notebook_of_a_later_format_says_which(tmp_path):
    path = tmp_path / "future.ipynb"
    path.write_text(_notebook(1, version=5))
    with pytest.raises(NotebookError, match="written in nbformat 5"):
        read_notebook(path)


def test_too_many_cells_or_bytes_are_refused_before_anything_runs(tmp_path, monkeypatch):
    path = tmp_path / "long.ipynb"
    path.write_text(_notebook(MAX_CELLS + 1))
    with pytest.raises(NotebookError, match=f"{MAX_CELLS + 1:,} cells"):
        read_notebook(path)
    path.write_text(_notebook(3))
    assert len(read_notebook(path).cells) == 3
    monkeypatch.setattr("grader.notebook.MAX_FILE_BYTES", 100)
    with pytest.raises(NotebookError, match="not graded") as info:
        read_notebook(path)
    assert info.value.path == str(path)


def test_the_parameters_cell_is_found_by_its_tag():
    assert has_parameters_cell(read_notebook(FIXTURES / "has_parameters_cell.ipynb"))
    assert not has_parameters_cell(read_notebook(FIXTURES / "raises_in_cell2.ipynb"))


def test_an_ipython3_notebook_is_read_as_nbformat4_and_papermill_takes_it(tmp_path):
    v4 = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Q1"),
                                         nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "saved_by_ipython3.ipynb"
    nbformat.write(nbformat.convert(v4, 3), path, version=3)
    assert json.loads(path.read_text())["nbformat"] == 3
    nb = read_notebook(path)
    assert isinstance(nb, nbformat.NotebookNode) and nb.nbformat == 4
    assert [c.source for c in nb.cells] == ["# Q1", "x = 1"]
    # papermill took an upgraded notebook for a path and failed: "AttributeError: format"
    papermill.execute_notebook(nb, str(tmp_path / "out.ipynb"), prepare_only=True,
                               progress_bar=False)
