"""Which object in the notebook a question grades, and why.

Pure functions over the probe's model summaries. A question names variables to
try first; otherwise the structural candidates (models that take a 28×28 image
and give one score per class, optionally dense-only) are ranked as the spec asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from grader import layers as L
from grader.assignment.spec import Dataset, Selector
from grader.checks.history import epochs_asked
from grader.checks.training import loss_key
from grader.text import pct

KIND_WORDS = {"mlp": "an MLP (Dense layers only)", "cnn": "a convolutional network",
              "any": "a Keras model", "autoencoder": "an autoencoder"}


def _outputs(selector: Selector, dataset: Dataset) -> int:
    """Output width a selector asks for: the classes, or the inputs again for an autoencoder."""
    return dataset.inputs if selector.kind == "autoencoder" else dataset.classes


def looked_for(selector: Selector, dataset: Dataset) -> str:
    """A sentence naming what a selector accepts, for 'not found' messages."""
    names = (f" named {' or '.join(f'`{n}`' for n in selector.names)}, or"
             if selector.names else "")
    takes = "28×28 = 784 pixels" if dataset.inputs == 784 else f"{dataset.inputs} inputs"
    gives = ("as many values back" if selector.kind == "autoencoder"
             else f"{dataset.classes} class outputs")
    return f"{KIND_WORDS[selector.kind]}{names} taking {takes} and giving {gives}"


def _kind_ok(selector: Selector, model: Mapping[str, Any]) -> bool:
    if selector.kind == "mlp":
        return L.is_mlp(model)
    if selector.kind == "cnn":
        return L.is_cnn(model)
    return True


@dataclass(frozen=True)
class Selection:
    """The model chosen for a question, or None, with the reason in words."""

    model_id: int | None
    path: str | None
    reason: str
    looked_for: str
    candidates: tuple[str, ...] = ()
    given: str | None = None  # nothing chosen, and the given model `given` was passed over

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {"model_id": self.model_id, "path": self.path, "reason": self.reason,
                "looked_for": self.looked_for, "candidates": list(self.candidates),
                "given": self.given}


_FIT_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\.\s*fit\s*\(")


def annotate_fits(models: Sequence[dict[str, Any]], histories: Sequence[Mapping[str, Any]],
                  cells: Sequence[Mapping[str, Any]]) -> None:
    """Give each model the cell it was last trained in and the names ``fit`` was called on.

    ``histories`` carry their model's id and their cell's number; a model no variable
    holds any more (``fit_only``) is then told apart by where, and as what, it trained.
    """
    sources = {int(c.get("metadata", {}).get("grader", {}).get("cell", n)): str(c.get("source"))
               for n, c in enumerate(cells, 1)}
    for model in models:
        trained = [h for h in histories if h.get("model_id") == model["id"] and h.get("cell")]
        if not trained:
            continue
        cell = trained[-1]["cell"]
        model["fit_cell"] = cell
        model["fit_epochs"] = sum(epochs_asked(h) for h in trained)
        model["fit_names"] = sorted(set(_FIT_CALL.findall(sources.get(int(cell), ""))))


def _replaced(model: Mapping[str, Any], live: Sequence[Mapping[str, Any]]) -> str:
    """How the report says a model from the fit log was graded, and what replaced it."""
    cell = model.get("fit_cell")
    where = f"the model trained in cell {cell}" if cell else "a model found through its `fit`"
    for name in model.get("fit_names") or []:
        now = next((m for m in live if any(root_name(p) == name for p in m["paths"])), None)
        if now is not None:
            later = f" in cell {now['fit_cell']}" if now.get("fit_cell") else ""
            return (f"{where} (later replaced: `{name}` now holds "
                    f"{L.describe(now.get('layers') or [])}{later})")
    return f"{where} (no variable holds it any more: it was replaced, or local to a function)"


def root_name(path: str) -> str:
    """``models[2]`` → ``models``; ``results['relu'].model`` → ``results``."""
    return re.split(r"[\[.]", path, maxsplit=1)[0]


def given_as(model: Mapping[str, Any], given: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The given reference model this one is identical to, or None: the student's own.

    Identical means the same layers, the same parameter count, the same loss, the same
    optimizer and, when both are known, as many epochs of training: what running the
    starter unchanged builds. Changing any of them (a wider layer, another loss, training
    longer) makes the model the student's work.
    """
    for name, ref in given.items():
        ref_epochs = epochs_asked(ref.get("history") or {})
        if (L.distance(model, ref) == (0, 0)
                and loss_key(model.get("loss")) == loss_key(ref.get("loss"))
                and (model.get("optimizer") or {}).get("class_name")
                == (ref.get("optimizer") or {}).get("class_name")
                and not (model.get("fit_epochs") and ref_epochs
                         and model["fit_epochs"] != ref_epochs)):
            return name
    return None


def _accuracy(evaluations: Mapping[int, Mapping[str, Any]], model: Mapping[str, Any]) -> float:
    acc = evaluations.get(model["id"], {}).get("accuracy")
    return -1.0 if acc is None else float(acc)


def _rank(
    pool: Sequence[Mapping[str, Any]],
    selector: Selector,
    evaluations: Mapping[int, Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any], str]:
    n = len(pool)
    of = f"of {n} candidate model{'s' * (n != 1)}"
    if selector.prefer == "closest" and reference is not None:
        best = min(pool, key=lambda m: (*L.distance(m, reference), bool(m.get("fit_only")),
                                        -_accuracy(evaluations, m)))
        return best, (f"the model most like the reference `{selector.reference}` "
                      f"({L.describe(reference['layers'])}) {of}")
    if selector.prefer == "best":
        best = max(pool, key=lambda m: (_accuracy(evaluations, m), m["id"]))
        acc = _accuracy(evaluations, best)
        measured = f" ({pct(acc)})" if acc >= 0 else ""
        return best, f"the best test accuracy measured by the grader{measured} {of}"
    return pool[-1], f"the last model defined {of}"


def select_model(
    selector: Selector,
    models: Sequence[Mapping[str, Any]],
    evaluations: Mapping[int, Mapping[str, Any]],
    reference: Mapping[str, Any] | None = None,
    dataset: Dataset | None = None,
    given: Mapping[str, Mapping[str, Any]] | None = None,
) -> Selection:
    """Choose the model a question grades.

    Args:
        selector: The question's selector from the spec.
        models: The probe's model summaries (each with ``id``, ``path``, ``paths``).
        evaluations: Grader-measured results by model id.
        reference: The reference model summary ``selector.reference`` names, if any.
        dataset: The data candidates must fit (MNIST when None).
        given: The reference summaries ``selector.exclude_given`` names: models
            identical to one are the starter's, never a candidate.
    """
    given = given or {}
    chosen = _choose(selector, models, evaluations, reference, dataset, given)
    if chosen.model_id is None and given:
        passed_over = next((n for m in models if (n := given_as(m, given)) is not None), None)
        if passed_over is not None:
            return replace(chosen, given=passed_over)
    return chosen


def _choose(selector: Selector, models: Sequence[Mapping[str, Any]],
            evaluations: Mapping[int, Mapping[str, Any]], reference: Mapping[str, Any] | None,
            dataset: Dataset | None, given: Mapping[str, Mapping[str, Any]]) -> Selection:
    """:func:`select_model`'s choice, before it is told whether a given model was passed over."""
    dataset = dataset or Dataset("mnist", 784, 10)
    wanted = looked_for(selector, dataset)
    logged = [m for m in models if m.get("fit_only")]  # trained, then no variable held it
    models = [m for m in models if not m.get("fit_only")]

    def candidates(pool: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [m for m in pool if "layers" in m and _kind_ok(selector, m)
                and L.fits(m, dataset.inputs, _outputs(selector, dataset))
                and _near(selector, m, reference) and given_as(m, given) is None]

    fits, from_log = candidates(models), candidates(logged)
    names = [p for m in fits for p in m["paths"]]
    for name in selector.names:
        named = [m for m in fits if any(root_name(p) == name for p in m["paths"])]
        if named:
            best, why = _rank(named, selector, evaluations, reference)
            path = next(p for p in best["paths"] if root_name(p) == name)
            if len(named) == 1:
                why = f"the variable `{name}`, a name this assignment uses"
            return Selection(best["id"], path, why, wanted, tuple(names))
    named_unfit = [m for m in models if any(root_name(p) in selector.names for p in m["paths"])]
    if named_unfit:  # the assignment's own variable exists: never grade another object instead
        m = named_unfit[0]
        name = root_name(m["path"])
        earlier = [x for x in from_log if name in (x.get("fit_names") or [])]
        if earlier:  # ... unless it is what that variable held when it was trained
            best, _ = _rank(earlier, selector, evaluations, reference)
            return Selection(best["id"], best["path"],
                             f"{_replaced(best, models)}, trained as `{name}`", wanted,
                             tuple(names))
        return Selection(None, None,
                         f"`{m['path']}` {why_unfit(m, selector, dataset, reference, given)}",
                         wanted, tuple(names))
    # "best" and "closest" rank every trained model (a sweep's last run left in `model`
    # does not stand in for the network the question names); "last" takes a live one
    ranks_all = selector.prefer == "best" or (selector.prefer == "closest"
                                              and reference is not None)
    pool = [*fits, *from_log] if ranks_all else (fits or from_log)
    if pool:
        best, why = _rank(pool, selector, evaluations, reference)
        if best.get("fit_only"):
            why = f"{_replaced(best, models)}: {why}"
        return Selection(best["id"], best["path"], why, wanted, tuple(names))
    if models:
        seen = "; ".join(f"`{m['path']}` {why_unfit(m, selector, dataset, reference, given)}"
                         for m in models[:4])
        return Selection(None, None, f"no model fits ({wanted}): {seen}", wanted)
    return Selection(None, None, f"no Keras model found (looked for {wanted})", wanted)


def _near(selector: Selector, model: Mapping[str, Any],
          reference: Mapping[str, Any] | None) -> bool:
    """Within ``max_edits`` layer edits of the reference, when the selector sets a limit."""
    if selector.max_edits is None or reference is None:
        return True
    return L.distance(model, reference)[0] <= selector.max_edits


def why_unfit(model: Mapping[str, Any], selector: Selector, dataset: Dataset,
              reference: Mapping[str, Any] | None = None,
              given: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """Why a model cannot be graded for a selector, in a few words."""
    if model.get("unverified"):
        return f"could not be read back by the grader: {model['unverified']}"
    if not model.get("layers") or not model.get("built", True):
        return "was never built (did its cell fail?)"
    inputs, outputs = L.input_size(model), L.output_size(model)
    want = _outputs(selector, dataset)
    if inputs != dataset.inputs or outputs != want:
        return f"takes {inputs} inputs and gives {outputs} outputs, not {dataset.inputs} and {want}"
    if not _kind_ok(selector, model):
        return f"is not {KIND_WORDS[selector.kind]}"
    same = given_as(model, given or {})
    if same is not None:
        return (f"is the model the starter gives (`{same}`: {L.describe(model['layers'])}, "
                "unchanged): this question grades a model of your own")
    assert reference is not None
    return (f"is {L.describe(model['layers'])}, more than {selector.max_edits} layer change(s) "
            f"from {L.describe(reference['layers'])}")
