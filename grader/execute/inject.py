"""Cells the grader adds to a notebook: setup before the student's code, probe after.

The injected source is a module's own text passed through ``repr`` and its
configuration a JSON literal: no value is ever pasted into code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

from grader.kernel import budget_src, compat_src, keras1_src, probe_src, setup_src
from grader.notebook import INJECTED_TAG


def _source_of(module: Any) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")


def code_cell(module: Any, cfg: dict[str, Any], role: str) -> nbformat.NotebookNode:
    """A code cell that runs ``module.main(cfg)`` in a private namespace in the kernel."""
    src = _source_of(module)
    lines = [
        "import json as _grader_json",
        f"_grader_ns = {{'__name__': {('grader_' + role)!r}}}",
        f"exec(compile({src!r}, {('<grader ' + role + '>')!r}, 'exec'), _grader_ns)",
        f"_grader_ns['main'](_grader_json.loads({json.dumps(cfg)!r}))",
        "del _grader_ns, _grader_json",
    ]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = [INJECTED_TAG, f"grader-{role}"]
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def setup_cell(seed: int, mnist_path: Path, figures_dir: Path) -> nbformat.NotebookNode:
    """The cell that seeds, sets the Agg backend, captures figures and serves MNIST offline.

    It also keeps every ``fit`` call's History, the models a probe would miss otherwise.
    """
    cfg = {"seed": seed, "mnist_path": str(mnist_path), "figures_dir": str(figures_dir)}
    return code_cell(setup_src, cfg, "setup")


def budget_cell(max_epochs: int = 0, train_limit: int = 0,
                loop_epochs: int = 0) -> nbformat.NotebookNode:
    """The cell that gives ``fit`` the profile's training budget (after the setup cell).

    With ``max_epochs``, every ``fit`` call trains at most that many epochs; with
    ``loop_epochs``, a cell's third and later calls (a sweep's runs) at most that many;
    with ``train_limit``, on at most that many samples (the first ones).
    """
    cfg = {"max_epochs": max_epochs, "train_limit": train_limit, "loop_epochs": loop_epochs}
    return code_cell(budget_src, cfg, "budget")


def compat_cell() -> nbformat.NotebookNode:
    """The cell that keeps Keras 2 spellings working, with a warning (after the setup cell)."""
    return code_cell(compat_src, {}, "compat")


def keras1_cell() -> nbformat.NotebookNode:
    """The cell that keeps Keras 1 spellings working too (after the compatibility cell)."""
    return code_cell(keras1_src, {}, "keras1")


def probe_cell(out_dir: Path, max_models: int = 48,
               calls: Sequence[Mapping[str, Any]] = ()) -> nbformat.NotebookNode:
    """The cell that collects models, histories and arrays, and makes the spec's calls."""
    cfg = {"out_dir": str(out_dir), "max_models": max_models, "calls": list(calls)}
    return code_cell(probe_src, cfg, "probe")
