"""Checks on how a model was compiled: its loss (and what that says about the labels)."""

from __future__ import annotations

from grader.checks.base import CheckInput, CheckResult, checks
from grader.checks.params import no_model

LOSS_ALIASES = {"categoricalcrossentropy": "categorical_crossentropy",
                "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
                "meansquarederror": "mean_squared_error", "mse": "mean_squared_error",
                "binarycrossentropy": "binary_crossentropy"}


def loss_key(name: str | None) -> str | None:
    """A loss's canonical name: ``CategoricalCrossentropy`` and its function read the same."""
    if name is None:
        return None
    flat = name.lower().replace("_", "")
    return LOSS_ALIASES.get(flat, name.lower())


@checks.register("loss_used")
def loss_used(inp: CheckInput) -> CheckResult:
    """The selected model was compiled with one of ``losses``.

    With ``categorical_crossentropy`` a trained model proves the labels were one-hot
    encoded: Keras refuses integer labels for that loss.
    """
    model = inp.found.get("model")
    if model is None:
        return no_model(inp)
    allowed = [str(v) for v in inp.params.get("losses", ["categorical_crossentropy"])]
    what = str(inp.params.get("what", "the loss"))
    expected = f"{what}: {' or '.join(f'`{v}`' for v in allowed)}"
    loss = model.get("loss")
    found = f"`{loss}`" if loss else "not compiled"
    if loss_key(loss) in {loss_key(v) for v in allowed}:
        return inp.passed(f"`{model['path']}` is compiled with {found}.", expected=expected,
                          found=found)
    advice = str(inp.params.get("hint") or "Compile the model as the notebook does.")
    return inp.failed(f"Expected {expected}; `{model['path']}` is compiled with {found}. "
                      f"{advice}", expected=expected, found=found)
