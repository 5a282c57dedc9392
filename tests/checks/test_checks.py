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


def test_accuracy_threshold_at_the_lower_bound_is_not_said_to_be_below_it():
    found = {"model": model(), "evaluation": {"accuracy": 0.9109}}
    at = run("accuracy_threshold", found, lower=0.9109, upper=0.94)
    assert at.outcome is Outcome.FAIL
    assert "91.09 % on the 10,000 held-out test examples, no higher than the 91.09 %" in (
        at.message)
    under = run("accuracy_threshold", found, lower=0.92, upper=0.94)
    assert ", below the 92.00 % where points start" in under.message
    # its advice is the check's hint, so the report and grader check say it once
    from grader.checks.hints import HINTS
    from grader.report.selfcheck import hint_to_show

    assert under.message.endswith(HINTS["accuracy_threshold"])
    shown = under.to_dict() | {"hint": HINTS["accuracy_threshold"]}
    assert hint_to_show(shown) is None


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


def test_history_length_counts_the_epochs_asked_for_when_the_profile_capped_them():
    capped = history(2) | {"epochs_requested": 12}
    result = run("history_length", {"history": capped}, min_epochs=10)
    assert result.outcome is Outcome.PASS and "12 epochs (this profile trained 2)" in result.message


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


def mlp500(factor=None, which="kernel_regularizer", mid=0):
    reg = {"class_name": "L2", "config": {"l2": factor}} if factor else None
    layers = [{"class_name": "Flatten"},
              {"class_name": "Dense", "units": 500, "activation": "relu", which: reg},
              {"class_name": "Dense", "units": 300, "activation": "relu", which: reg},
              {"class_name": "Dense", "units": 10, "activation": "softmax"}]
    return {"id": mid, "path": f"fit #{mid}.model", "paths": [f"fit #{mid}.model"],
            "layers": layers, "fit_only": True}


SWEEP_REF = {"models": {"mlp500": {**mlp500(), "total_params": 545_810}}}


def run_sweep(models, trained=None, **params):
    registered = checks.get("weight_decay_sweep")
    params = {"reference": "mlp500", **params}
    expected = registered.expect(params, SWEEP_REF)
    ids = trained if trained is not None else [m["id"] for m in models]
    histories = [{"id": i, "model_id": i, "epochs_run": 1} for i in ids]
    return registered.run(CheckInput("q.weight_decay_sweep", 1.0, params, expected,
                                     {"models": models, "histories": histories}))


def test_weight_decay_sweep_counts_trained_replicates_per_factor():
    factors = [1e-6, 1e-5, 5e-5, 1e-4, 1e-3]
    models = [mlp500(f, mid=i * 3 + r) for i, f in enumerate(factors) for r in range(3)]
    ok = run_sweep(models)
    assert ok.outcome is Outcome.PASS and "0.001: 3 runs" in ok.message
    two_each = [m for m in models if m["id"] % 3 != 2]
    partial = run_sweep(two_each)
    assert partial.outcome is Outcome.PARTIAL and partial.score == pytest.approx(10 / 15, abs=0.005)
    assert "fewer than 3 replicates" in partial.message
    untrained = run_sweep(models, trained=[m["id"] for m in models[:3]])
    assert untrained.score == pytest.approx(3 / 15, abs=0.005)


def test_weight_decay_sweep_names_activity_regularizer_and_out_of_range_factors():
    activity = [mlp500(1e-4, "activity_regularizer", mid=i) for i in range(6)]
    result = run_sweep(activity)
    assert result.outcome is Outcome.FAIL and "activity_regularizer" in result.message
    assert "kernel_regularizer" in result.message
    wide = [mlp500(0.01, mid=i) for i in range(3)]
    assert "outside [1e-06, 0.001]: 0.01" in run_sweep(wide).message
    other_net = [{**mlp500(1e-4, mid=i), "layers": mlp500(1e-4)["layers"][:1]
                  + [{"class_name": "Dense", "units": 64}, {"class_name": "Dense", "units": 10}]}
                 for i in range(3)]
    assert run_sweep(other_net).score == 0


def figure(number, cell=None, images=(), errorbars=0, fills=0, xscale="linear"):
    return {"number": number, "title": "", "cell": cell,
            "axes": [{"images": [list(s) for s in images], "lines": [], "line_points": [],
                      "errorbars": errorbars, "fills": fills, "xscale": xscale}]}


def test_errorbar_plot_accepts_error_bars_or_a_band():
    assert run("errorbar_plot", {"figures": [figure(1, errorbars=1, xscale="log")]}).outcome \
        is Outcome.PASS
    assert run("errorbar_plot", {"figures": [figure(1, fills=1)]}).outcome is Outcome.PASS
    missing = run("errorbar_plot", {"figures": [figure(1)]})
    assert missing.outcome is Outcome.FAIL and "plt.errorbar" in missing.message


def test_figure_in_section_only_counts_the_questions_own_cells():
    digits = [(28, 28)] * 9
    section = {"start": 10, "end": 14}
    inside = run("figure_in_section", {"section": section, "figures": [figure(2, 12, digits)]},
                 min_images=9)
    assert inside.outcome is Outcome.PASS and "cell 12" in inside.message
    elsewhere = run("figure_in_section", {"section": section, "figures": [figure(2, 20, digits)]},
                    min_images=9)
    assert elsewhere.outcome is Outcome.FAIL and "cells 10-14" in elsewhere.message
    few = run("figure_in_section", {"section": section, "figures": [figure(2, 12, digits[:3])]},
              min_images=9)
    assert few.outcome is Outcome.FAIL and few.message.endswith(
        "under the question's heading. Show the digits with `plt.imshow`.")
    any_plot = run("figure_in_section", {"section": section, "figures": [figure(2, 11)]})
    assert any_plot.outcome is Outcome.PASS
    no_plot = run("figure_in_section", {"section": section, "figures": []}, what="a curve")
    assert no_plot.message.endswith("Draw the figure in a code cell under the question's "
                                    "heading.")
    no_heading = run("figure_in_section", {"section": None, "figures": [figure(2, 12)]})
    assert "heading was not found" in no_heading.message


@pytest.mark.parametrize(("name", "params"), [
    ("answer_present", {"prompt": "How long?"}), ("confusion_matrix_present", {}),
    ("errorbar_plot", {}), ("figure_in_section", {"min_images": 4}),
    ("kernels_plotted", {}), ("plots_present", {}),
    ("variants_trained", {"attribute": "activation", "values": ["relu", "tanh"]}),
])
def test_a_failing_checks_advice_is_its_hint_so_it_is_said_once(name, params):
    from grader.checks.hints import HINTS
    from grader.report.selfcheck import hint_to_show

    found = {"answer": None, "figures": [], "arrays": [], "models": [], "histories": [],
             "section": {"start": 1, "end": 2}}
    result = run(name, found, **params)
    assert result.outcome is Outcome.FAIL and HINTS[name] in result.message
    assert hint_to_show(result.to_dict() | {"hint": HINTS[name]}) is None


def test_loss_used_reads_class_and_function_spellings():
    compiled = {**model(), "loss": "CategoricalCrossentropy"}
    assert run("loss_used", {"model": compiled}).outcome is Outcome.PASS
    sparse = run("loss_used", {"model": {**model(), "loss": "sparse_categorical_crossentropy"}})
    assert sparse.outcome is Outcome.FAIL and "sparse_categorical_crossentropy" in sparse.message
    assert run("loss_used", {"model": {**model(), "loss": None}}).message.endswith(
        "not compiled. Compile the model as the notebook does.")


def test_accuracy_cap_is_the_target_once_the_reference_reaches_it():
    registered = checks.get("accuracy_threshold")
    params = {"lower_model": "starter", "lower_offset": -0.05, "upper_model": "starter",
              "upper_offset": -0.005, "cap": 0.99, "target": 0.9847}
    weak = registered.expect(params, REFERENCE)  # the reference reaches 91 %: scaled down
    assert weak["upper"] == pytest.approx(0.905) and weak["target"] == 0.9847
    strong = {"models": {"starter": {**STARTER, "evaluation": {"accuracy": 0.9921}}}}
    assert registered.expect(params, strong)["upper"] == 0.99
    params["target_label"] = "Hinton's result"
    result = registered.run(CheckInput("q.a", 1.0, params, weak, {
        "model": model(), "evaluation": {"accuracy": 0.95, "n_test": 10000}}))
    assert "3.47 points below Hinton's result (98.47 %)" in result.message


DENOISE_REF = {"denoising": {"levels": [0.0, 0.5], "replicates": 3,
                             "noisy": {"mean": [0.9, 0.5], "std": [0.001, 0.02]},
                             "denoised": {"mean": [0.85, 0.8], "std": [0.01, 0.01]}}}


def run_denoise(evaluation, **params):
    registered = checks.get("denoising_curves")
    expected = registered.expect(params, DENOISE_REF)
    found = {"model": {"path": "autoencoder"}, "evaluation": evaluation}
    return registered.run(CheckInput("q.denoising_curves", 1.0, params, expected, found))


def test_denoising_band_comes_from_the_reference_spread():
    expected = checks.get("denoising_curves").expect({"spread": 3, "min_tolerance": 0.03},
                                                     DENOISE_REF)
    assert expected["noisy"]["tolerance"] == [0.03, 0.06]  # floor, then 3 × std
    assert expected["noisy"]["lower"] == [0.87, 0.44]


def test_denoising_curves_score_half_per_curve_and_allow_better_than_reference():
    clf = {"path": "cnn", "accuracy": 0.91}
    good = run_denoise({"denoising": {"levels": [0, 0.5], "noisy": [0.95, 0.9],
                                      "denoised": [0.86, 0.99], "n_images": 100},
                        "classifier": clf})
    assert good.outcome is Outcome.PASS and "`cnn`" in good.message
    bad = run_denoise({"denoising": {"levels": [0, 0.5], "noisy": [0.9, 0.5],
                                     "denoised": [0.85, 0.3], "n_images": 100},
                       "classifier": clf})
    assert bad.outcome is Outcome.PARTIAL and bad.score == pytest.approx(0.75)
    assert "denoised images below the reference band at noise 0.5 (30.0 % < 77.0 %)" \
        in bad.message
    failed = run_denoise({"error": "no MNIST classifier of the notebook could be measured"})
    assert failed.outcome is Outcome.FAIL and "no MNIST classifier" in failed.message
    assert run_denoise(None).outcome is Outcome.FAIL


def test_every_check_has_a_concrete_hint():
    from grader.checks.hints import HINTS

    built_in = {c.name for c in checks if c.run.__module__.startswith("grader.checks.")}
    assert set(HINTS) == built_in
