"""Checks on a model's size and layer structure against the reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader import layers as L
from grader.checks.base import CheckInput, CheckResult, checks
from grader.errors import CheckError


def reference_model(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    """The reference model a check's ``reference`` param names."""
    name = params.get("reference")
    models = reference.get("models", {})
    if name not in models:
        raise CheckError(
            f"check refers to reference model {name!r}, which the reference does not build "
            f"(it builds: {', '.join(models) or 'nothing'})",
            check="reference",
        )
    return {"name": name, **models[name]}


def no_model(inp: CheckInput) -> CheckResult:
    """The shared verdict when no model fits the question."""
    selection = inp.found.get("selection", {})
    looked = selection.get("looked_for", "a Keras model")
    why = selection.get("reason") or f"the grader looked for {looked}"
    return inp.failed(
        f"No model to grade for this question: {why}. Make sure the model is built in the "
        "notebook (its cell runs without error) and kept in a variable.",
        expected=looked,
        found="nothing",
        no_model=True,
    )


def _name(inp: CheckInput) -> str:
    return inp.found.get("selection", {}).get("path") or "your model"


def _hint(inp: CheckInput, default: str) -> str:
    return str(inp.params.get("hint") or default)


def _expect_count(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    model = reference_model(params, reference)
    return {
        "model": model["name"],
        "total_params": model["total_params"],
        "trainable_params": model["trainable_params"],
        "structure": L.describe(model["layers"]),
    }


@checks.register("param_count", expect=_expect_count)
def param_count(inp: CheckInput) -> CheckResult:
    """Total (and trainable) parameter count equals the reference model's."""
    model = inp.found.get("model")
    if model is None:
        return no_model(inp)
    exp, got = inp.expected, model
    same = got["total_params"] == exp["total_params"]
    if inp.params.get("trainable", True):
        same = same and got["trainable_params"] == exp["trainable_params"]
    details = {
        "expected": f"{exp['total_params']:,} parameters ({exp['structure']})",
        "found": f"{got['total_params']:,} parameters ({L.describe(got['layers'])})",
    }
    if same:
        return inp.passed(
            f"`{_name(inp)}` has {got['total_params']:,} parameters, as expected.", **details
        )
    advice = _hint(inp, "Compare your layers with the expected ones, one by one.")
    return inp.failed(
        f"Expected {details['expected']}; `{_name(inp)}` has {details['found']}. {advice}",
        advice=advice,
        **details,
    )


def _expect_structure(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    if params.get("mode", "reference") == "mlp":
        return {"input_size": 784, "outputs": int(params.get("outputs", 10))}
    model = reference_model(params, reference)
    blocks = [L.describe_block(b) for b in L.blocks(model["layers"])]
    return {"model": model["name"], "blocks": blocks}


def _mlp_problems(model: Mapping[str, Any], outputs: int) -> list[str]:
    problems = []
    if not L.is_mlp(model):
        other = sorted({x["class_name"] for x in model["layers"]} - L.DENSE_FAMILY)
        problems.append(f"it uses {', '.join(other)} layers, but this question asks for an MLP")
    if L.input_size(model) != 784:
        problems.append(f"its input takes {L.input_size(model)} values, not the 784 pixels")
    blocks = L.blocks(model["layers"])
    dense = [b for b in blocks if b["kind"] == "Dense"]
    if not dense or dense[-1].get("units") != outputs:
        problems.append(f"its last Dense layer should have {outputs} units, one per digit")
    elif dense[-1].get("activation") != "softmax":
        problems.append("its output should go through a softmax")
    linear = [i + 1 for i, b in enumerate(dense[:-1]) if b.get("activation") in (None, "linear")]
    if linear:
        problems.append(
            f"hidden Dense layer(s) {linear} have no activation, so they add no non-linearity "
            "(add a ReLU)"
        )
    return problems


@checks.register("layer_structure", expect=_expect_structure)
def layer_structure(inp: CheckInput) -> CheckResult:
    """Layers follow the reference (``mode = "reference"``) or the MLP pattern (``"mlp"``)."""
    model = inp.found.get("model")
    if model is None:
        return no_model(inp)
    found = L.describe(model["layers"])
    if inp.params.get("mode", "reference") == "mlp":
        problems = _mlp_problems(model, int(inp.expected["outputs"]))
        expected = "784 inputs → Dense hidden layers with ReLU → Dense(10, softmax)"
        if not problems:
            return inp.passed(f"`{_name(inp)}` is an MLP as asked: {found}.", expected=expected,
                              found=found)
        return inp.failed(
            f"`{_name(inp)}` ({found}) is not the MLP asked for: {'; '.join(problems)}.",
            expected=expected, found=found, problems=problems,
        )
    want = list(inp.expected["blocks"])
    ignore = set(inp.params.get("ignore", ["Dropout"]))
    got = [L.describe_block(b) for b in L.blocks(model["layers"]) if b["kind"] not in ignore]
    want_cmp = [b for b in want if b.split("(")[0] not in ignore]
    expected = " → ".join(want)
    if got == want_cmp:
        return inp.passed(f"`{_name(inp)}` has the expected layers: {found}.",
                          expected=expected, found=found)
    advice = _hint(inp, "Rebuild it layer by layer to match the expected layers.")
    return inp.failed(
        f"Expected the layers {expected}; `{_name(inp)}` has {found}. {advice}",
        expected=expected, found=found, advice=advice,
    )
