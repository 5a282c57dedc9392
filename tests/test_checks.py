"""Checks are pure functions: plain data in, a frozen CheckResult out."""

from __future__ import annotations

import dataclasses

import pytest

from grader.checks import CheckInput, Outcome, checks
from grader.errors import CheckError

DENSE16 = [
    {"class_name": "InputLayer"},
    {"class_name": "Dense", "units": 16, "activation": "linear"},
    {"class_name": "ReLU"},
    {"class_name": "Dense", "units": 10, "activation": "linear"},
    {"class_name": "Softmax"},
]
STARTER = {"total_params": 12730, "trainable_params": 12730, "non_trainable_params": 0,
           "layers": DENSE16, "evaluation": {"accuracy": 0.91},
           "history": {"history": {"accuracy": [0.8, 0.9], "val_accuracy": [0.8, 0.88]}}}
IMPROVED = {**STARTER, "evaluation": {"accuracy": 0.97},
            "history": {"history": {"accuracy": [0.9, 0.99], "val_accuracy": [0.9, 0.97]}}}
REFERENCE = {"models": {"starter": STARTER, "improved": IMPROVED}}


def model(layers=DENSE16, total=12730, trainable=None, inputs=(None, 784)):
    return {"id": 0, "path": "model", "paths": ["model"], "layers": layers,
            "total_params": total, "trainable_params": total if trainable is None else trainable,
            "input_shape": list(inputs), "output_shape": [None, 10]}


def run(name, found, points=1.0, **params):
    registered = checks.get(name)
    expected = registered.expect(params, REFERENCE)
    return registered.run(CheckInput(f"q.{name}", points, params, expected, found))


def test_result_is_frozen_and_plain():
    result = run("param_count", {"model": model(), "selection": {"path": "model"}},
                 reference="starter")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0  # type: ignore[misc]
    assert result.to_dict()["outcome"] == "pass"


def test_param_count_pass_and_fail_say_expected_and_found():
    ok = run("param_count", {"model": model()}, reference="starter")
    assert ok.outcome is Outcome.PASS and ok.score == 1.0
    wide = [{**x, "units": 32} if x.get("units") == 16 else x for x in DENSE16]
    bad = run("param_count", {"model": model(wide, total=25450)}, reference="starter",
              hint="Use hidden_size = 16.")
    assert bad.outcome is Outcome.FAIL and bad.score == 0
    assert "12,730" in bad.message and "25,450" in bad.message and "hidden_size = 16" in bad.message
    assert "Dense(32, relu)" in bad.details["found"]


def test_param_count_checks_trainable_too():
    frozen = run("param_count", {"model": model(trainable=100)}, reference="starter")
    assert frozen.outcome is Outcome.FAIL


def test_missing_model_names_what_was_looked_for():
    result = run("param_count", {"model": None, "selection": {"looked_for": "an MLP named x"}},
                 reference="starter")
    assert result.outcome is Outcome.FAIL and "an MLP named x" in result.message


def test_layer_structure_reference_mode_folds_activation_layers():
    folded = [{"class_name": "Dense", "units": 16, "activation": "relu"},
              {"class_name": "Dropout", "rate": 0.2},
              {"class_name": "Dense", "units": 10, "activation": "softmax"}]
    assert run("layer_structure", {"model": model(folded)}, reference="starter").outcome \
        is Outcome.PASS
    extra = [*folded[:1], {"class_name": "Dense", "units": 16, "activation": "relu"}, folded[2]]
    assert run("layer_structure", {"model": model(extra)}, reference="starter").outcome \
        is Outcome.FAIL


def test_layer_structure_mlp_mode_explains_each_problem():
    linear = [{"class_name": "Dense", "units": 64, "activation": "linear"},
              {"class_name": "Dense", "units": 10, "activation": "linear"}]
    result = run("layer_structure", {"model": model(linear)}, mode="mlp")
    assert result.outcome is Outcome.FAIL
    assert any("no activation" in p for p in result.details["problems"])
    assert any("softmax" in p for p in result.details["problems"])
    conv = [{"class_name": "Conv2D", "filters": 8, "activation": "relu"},
            {"class_name": "Flatten"}, {"class_name": "Dense", "units": 10,
                                        "activation": "softmax"}]
    result = run("layer_structure", {"model": model(conv, inputs=(None, 28, 28, 1))}, mode="mlp")
    assert "Conv2D" in result.message


@pytest.mark.parametrize(("acc", "outcome", "score"), [
    (0.99, Outcome.PASS, 3.0), (0.96, Outcome.PASS, 3.0), (0.935, Outcome.PARTIAL, 1.5),
    (0.91, Outcome.FAIL, 0.0), (0.5, Outcome.FAIL, 0.0),
])
def test_accuracy_threshold_partial_credit_between_bounds(acc, outcome, score):
    found = {"model": model(), "evaluation": {"accuracy": acc}}
    result = run("accuracy_threshold", found, points=3.0, lower_model="starter",
                 upper_model="improved", upper_offset=-0.01)
    assert result.outcome is outcome
    assert result.score == pytest.approx(score, abs=1e-3)
    assert result.details["upper"] == pytest.approx(0.96)


def test_accuracy_threshold_reports_unmeasurable_model():
    found = {"model": model(), "evaluation": {"error": "Lambda layers are refused"}}
    result = run("accuracy_threshold", found, lower=0.5, upper=0.9)
    assert result.outcome is Outcome.FAIL and "Lambda layers are refused" in result.message


def history(epochs, val=True, gap=0.0):
    h = {"loss": [1.0] * epochs, "accuracy": [0.9] * epochs}
    if val:
        h |= {"val_loss": [1.0] * epochs, "val_accuracy": [0.9 - gap] * epochs}
    return {"epochs_run": epochs, "history": h}


def test_history_length():
    assert run("history_length", {"history": history(5)}, min_epochs=5).outcome is Outcome.PASS
    short = run("history_length", {"history": history(1, val=False)}, min_epochs=5)
    assert short.outcome is Outcome.FAIL and "epochs" in short.message
    assert "validation_split" in short.message
    no_val = run("history_length", {"history": history(6, val=False)}, min_epochs=5)
    assert no_val.outcome is Outcome.PARTIAL and no_val.score == 0.5
    assert run("history_length", {"history": None}, min_epochs=5).outcome is Outcome.FAIL


def test_history_keys_of_old_keras_are_understood():
    old = {"epochs_run": 2, "history": {"acc": [0.99, 0.99], "val_acc": [0.8, 0.8],
                                        "loss": [1, 1], "val_loss": [1, 1]}}
    result = run("overfitting_gap", {"history": old}, reference="improved", tolerance=0.03)
    assert result.outcome is Outcome.FAIL and "overfitting" in result.message


def test_overfitting_gap_uses_reference_gap_plus_tolerance():
    # the reference's final gap is 0.02, so up to 0.05 passes
    assert run("overfitting_gap", {"history": history(5, gap=0.04)}, reference="improved",
               tolerance=0.03).outcome is Outcome.PASS
    assert run("overfitting_gap", {"history": history(5, gap=0.06)}, reference="improved",
               tolerance=0.03).outcome is Outcome.FAIL


def test_confusion_matrix_from_array_or_figure():
    arr = {"arrays": [{"path": "cm", "shape": [10, 10]}], "figures": []}
    assert run("confusion_matrix_present", arr).outcome is Outcome.PASS
    fig = {"arrays": [], "figures": [{"number": 2, "axes": [{"images": [[10, 10]]}]}]}
    assert "figure 2" in run("confusion_matrix_present", fig).message
    none = {"arrays": [{"path": "w", "shape": [3, 3]}], "figures": []}
    assert run("confusion_matrix_present", none).outcome is Outcome.FAIL


def test_plots_present_counts_curve_figures_only():
    curve = {"number": 1, "title": "Loss", "axes": [{"line_points": [10, 10]}]}
    empty = {"number": 2, "title": "", "axes": [{"line_points": []}]}
    assert run("plots_present", {"figures": [curve]}).outcome is Outcome.PASS
    assert run("plots_present", {"figures": [empty]}).outcome is Outcome.FAIL


def test_answer_present_is_manual_with_zero_auto_points():
    result = run("answer_present", {"answer": {"cell": 4, "text": "Five epochs."}},
                 prompt="How long?")
    assert result.outcome is Outcome.MANUAL and result.score == 0 and result.max_score == 1
    missing = run("answer_present", {"answer": None}, prompt="How long?")
    assert missing.outcome is Outcome.FAIL and "How long?" in missing.message


def test_registry_rejects_unknown_and_duplicate_names():
    with pytest.raises(CheckError, match="unknown check 'nope'"):
        checks.get("nope")
    with pytest.raises(CheckError, match="registered twice"):
        checks.register("param_count")(lambda inp: None)


def test_result_score_is_clamped():
    inp = CheckInput("q.x", 2.0, {}, {}, {})
    assert inp.result(Outcome.PARTIAL, 5.0, "m").score == 2.0
    assert inp.result(Outcome.PARTIAL, -1.0, "m").score == 0.0
