"""Which object in the notebook a question grades, and why.

Pure functions over the probe's model summaries. A question names variables to
try first; otherwise the structural candidates (models that take a 28×28 image
and give one score per class, optionally dense-only) are ranked as the spec asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader import layers as L
from grader.spec import Selector


@dataclass(frozen=True)
class Selection:
    """The model chosen for a question, or None, with the reason in words."""

    model_id: int | None
    path: str | None
    reason: str
    looked_for: str
    candidates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {"model_id": self.model_id, "path": self.path, "reason": self.reason,
                "looked_for": self.looked_for, "candidates": list(self.candidates)}


def root_name(path: str) -> str:
    """``models[2]`` → ``models``; ``results['relu'].model`` → ``results``."""
    return re.split(r"[\[.]", path, maxsplit=1)[0]


def _accuracy(evaluations: Mapping[int, Mapping[str, Any]], model: Mapping[str, Any]) -> float:
    acc = evaluations.get(model["id"], {}).get("accuracy")
    return -1.0 if acc is None else float(acc)


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _rank(
    pool: Sequence[Mapping[str, Any]],
    selector: Selector,
    evaluations: Mapping[int, Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any], str]:
    n = len(pool)
    of = f"of {n} candidate model{'s' * (n != 1)}"
    if selector.prefer == "closest" and reference is not None:
        best = min(pool, key=lambda m: (*L.distance(m, reference), -_accuracy(evaluations, m)))
        return best, (f"the model most like the reference `{selector.reference}` "
                      f"({L.describe(reference['layers'])}) {of}")
    if selector.prefer == "best":
        best = max(pool, key=lambda m: (_accuracy(evaluations, m), m["id"]))
        acc = _accuracy(evaluations, best)
        measured = f" ({_pct(acc)})" if acc >= 0 else ""
        return best, f"the best test accuracy measured by the grader{measured} {of}"
    return pool[-1], f"the last model defined {of}"


def select_model(
    selector: Selector,
    models: Sequence[Mapping[str, Any]],
    evaluations: Mapping[int, Mapping[str, Any]],
    reference: Mapping[str, Any] | None = None,
    n_classes: int = 10,
) -> Selection:
    """Choose the model a question grades.

    Args:
        selector: The question's selector from the spec.
        models: The probe's model summaries (each with ``id``, ``path``, ``paths``).
        evaluations: Grader-measured results by model id.
        reference: The reference model summary ``selector.reference`` names, if any.
        n_classes: Number of output classes a candidate must have.
    """
    looked_for = selector.looked_for()
    fits = [m for m in models if "layers" in m and L.takes_mnist(m, n_classes)
            and (selector.kind != "mlp" or L.is_mlp(m))]
    names = [p for m in fits for p in m["paths"]]
    for name in selector.names:
        named = [m for m in fits if any(root_name(p) == name for p in m["paths"])]
        if named:
            best, why = _rank(named, selector, evaluations, reference)
            if len(named) == 1:
                why = f"the variable `{name}`, a name this assignment uses"
            return Selection(best["id"], best["path"], why, looked_for, tuple(names))
    if fits:
        best, why = _rank(fits, selector, evaluations, reference)
        return Selection(best["id"], best["path"], why, looked_for, tuple(names))
    others = [m for m in models if "layers" in m]
    if others:
        best, _ = _rank(others, selector, evaluations, reference)
        why = (f"no model fits ({looked_for}); grading `{best['path']}` "
               f"({L.describe(best['layers'])}), the closest there is")
        return Selection(best["id"], best["path"], why, looked_for,
                         tuple(p for m in others for p in m["paths"]))
    return Selection(None, None, f"no Keras model found (looked for {looked_for})", looked_for)
