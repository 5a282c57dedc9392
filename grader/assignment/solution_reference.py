"""The reference of a pack made from a solution notebook (``grader pack new --from``).

Copied into the pack as its ``reference.py``: it runs the code cells of the pack's
``solution.ipynb``, as the notebook runs them, with MNIST served as the students'
kernels get it under the profile being built (``keras.datasets.mnist.load_data``
returns the grader's data) and every ``fit`` at most ``epochs_cap`` epochs (the
profile's parameter). Each reference model is the variable of that name the solution
leaves, with the History of its last ``fit``. Edit it freely: the grader only needs
``build(name)`` and ``train(name, data, params)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOLUTION = Path(__file__).with_name("solution.ipynb")
SKIP_LINE = ("%", "!")  # IPython magics and shell lines: not Python


def _code_cells() -> list[tuple[int, str]]:
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    out = []
    for number, cell in enumerate(nb["cells"], 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [line for line in source.splitlines()
                 if not line.lstrip().startswith(SKIP_LINE)]
        out.append((number, "\n".join(lines)))
    return out


def _run(data: dict[str, Any], params: dict[str, Any]) -> tuple[dict[str, Any], dict[int, Any]]:
    """Run the solution; its namespace, and each model's last History (by ``id``)."""
    import keras

    cap = int(params.get("epochs_cap") or 0)
    histories: dict[int, Any] = {}
    original_fit, original_load = keras.Model.fit, keras.datasets.mnist.load_data

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if cap and int(kwargs.get("epochs", 1)) > cap:
            kwargs["epochs"] = cap
        history = original_fit(self, *args, **kwargs)
        histories[id(self)] = history
        return history

    def load_data(*args: Any, **kwargs: Any) -> Any:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])

    namespace: dict[str, Any] = {"__name__": "solution"}
    keras.Model.fit, keras.datasets.mnist.load_data = fit, load_data
    try:
        for number, source in _code_cells():
            try:
                exec(compile(source, f"solution.ipynb, cell {number}", "exec"), namespace)
            except Exception as exc:
                raise RuntimeError(f"{SOLUTION.name}, cell {number} failed: "
                                   f"{type(exc).__name__}: {exc}") from exc
    finally:
        keras.Model.fit, keras.datasets.mnist.load_data = original_fit, original_load
    return namespace, histories


_RUNS: dict[tuple[int, str], tuple[dict[str, Any], dict[int, Any]]] = {}


def _solution(data: dict[str, Any],
              params: dict[str, Any]) -> tuple[dict[str, Any], dict[int, Any]]:
    key = (id(data["x_train"]), json.dumps(params, sort_keys=True, default=str))
    if key not in _RUNS:  # one run of the notebook gives every reference model
        _RUNS.clear()
        _RUNS[key] = _run(data, params)
    return _RUNS[key]


def train(name: str, data: dict[str, Any], params: dict[str, Any]) -> tuple[Any, Any]:
    """The solution's model ``name``, trained as the notebook trains it, and its History."""
    namespace, histories = _solution(data, params)
    model = namespace.get(name)
    if model is None:
        raise KeyError(f"{SOLUTION.name} leaves no variable {name!r}")
    return model, histories.get(id(model))


def build(name: str) -> Any:
    """The model ``name`` untrained: its structure, from a run of the solution on no data."""
    import keras
    import numpy as np

    empty = {"x_train": np.zeros((8, 28, 28), "uint8"), "y_train": np.arange(8) % 10,
             "x_test": np.zeros((8, 28, 28), "uint8"), "y_test": np.arange(8) % 10}
    model, _ = train(name, empty, {"epochs_cap": 1})
    return keras.models.clone_model(model)
