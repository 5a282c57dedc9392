"""The cells the grader injects: built with repr and json, tagged, hidden."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from grader.execute.inject import budget_cell, compat_cell, probe_cell, setup_cell
from grader.notebook import INJECTED_TAG, is_injected


def _config(cell) -> dict:
    """The JSON config the cell hands its module's ``main``: parsed back, never executed."""
    tree = ast.parse(cell.source)
    (call,) = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and n.func.attr == "loads"]
    return json.loads(ast.literal_eval(call.args[0]))


def test_every_injected_cell_is_tagged_hidden_and_valid_python():
    for cell in (setup_cell(7, Path("/data/mnist.npz"), Path("/w/figures")), budget_cell(3),
                 compat_cell(), probe_cell(Path("/w/probe"))):
        ast.parse(cell.source)
        assert is_injected(cell) and INJECTED_TAG in cell.metadata["tags"]
        assert cell.metadata["jupyter"]["source_hidden"] is True
    assert not is_injected({"metadata": {"tags": ["parameters"]}})


def test_hostile_paths_reach_the_kernel_as_data_not_code():
    odd = Path("/tmp/x'); import os; os.system('boom") / "mnist.npz"
    cell = setup_cell(1, odd, Path("/w/f\"igs"))
    assert _config(cell) == {"seed": 1, "mnist_path": str(odd), "figures_dir": "/w/f\"igs"}
    assert _config(budget_cell(max_epochs=2)) == {"max_epochs": 2, "train_limit": 0,
                                                  "loop_epochs": 0}
    calls = [{"name": "apply", "args": ["a'b"]}]
    assert _config(probe_cell(Path("/p"), 5, calls)) == {"out_dir": "/p", "max_models": 5,
                                                         "calls": calls}
