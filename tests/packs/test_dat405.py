"""The dat405_a7 pack end to end: weight-decay sweep, CNN, grader-drawn denoising curves."""

from __future__ import annotations

import json

import pytest

from tests.conftest import (
    ROOT,
    assert_pack_ready,
    assert_starter_earns_at_most_5_percent,
    check_of,
    grade_folder,
    run_cli,
)
from tests.conftest import question as q

pytestmark = pytest.mark.kernel
SAMPLES = ROOT / "submissions" / "dat405_a7"
EXPECTED = json.loads((ROOT / "reference/dat405_a7/expected/fast.json").read_text())


@pytest.fixture(scope="module")
def dat405(tmp_path_factory, mnist_path):
    out = tmp_path_factory.mktemp("dat405")
    return {"out": out, "results": grade_folder(SAMPLES, "dat405_a7", out, mnist_path,
                                                        "--no-pdf")[1]}


def test_reference_sizes_match_the_handout_and_course_notebook():
    models = EXPECTED["models"]
    assert models["starter"]["total_params"] == 55_050
    assert models["mlp500"]["total_params"] == 545_810
    assert models["autoencoder"]["total_params"] == 226_416
    curves = EXPECTED["denoising"]
    assert curves["levels"] == [round(0.1 * i, 1) for i in range(11)]
    assert curves["replicates"] == 3 and len(curves["noisy"]["runs"]) == 3
    # noise hurts the classifier; the autoencoder helps it at the noise it was trained on
    assert curves["noisy"]["mean"][0] > curves["noisy"]["mean"][5] + 0.3
    assert curves["denoised"]["mean"][4] > curves["noisy"]["mean"][4] + 0.1


def test_reference_show_lists_both_denoising_curves(mnist_path):
    proc = run_cli("reference", "show", "dat405_a7", "--profile", "fast", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    curves = json.loads(proc.stdout)["profiles"]["fast"]["denoising"]
    assert set(curves) >= {"levels", "noisy", "denoised", "classifier", "autoencoder"}
    assert len(curves["noisy"]["mean"]) == len(curves["denoised"]["std"]) == 11
    table = run_cli("reference", "show", "dat405_a7", "--profile", "fast")
    assert "denoising curves" in table.stdout and "± " in table.stdout


def test_full_solution_earns_every_automatic_point(dat405):
    r = dat405["results"]["full_solution"]
    assert_pack_ready(dat405["results"]["unchanged_starter"], r)  # as `grader pack check`
    auto = [c for x in r["questions"] for c in x["checks"] if c["outcome"] != "manual"]
    assert all(c["outcome"] == "pass" for c in auto), [c["id"] for c in auto
                                                       if c["outcome"] != "pass"]
    assert r["score"] == 5.5 and r["manual_pending"] == 9
    facts = check_of(r, "q2a_model", "answer_facts")
    assert "states 55,050 parameters ✔" in facts["message"] and facts["score"] == 0.5


def test_sweep_models_are_found_through_their_fit_calls(dat405):
    r = dat405["results"]["full_solution"]
    sweep = check_of(r, "q2d_weight_decay", "weight_decay_sweep")
    assert sweep["details"]["runs"] == {"1e-06": 3, "1e-05": 3, "5e-05": 3, "0.0001": 3,
                                        "0.001": 3}
    overwritten = [m for m in r["models"] if m["fit_only"]]
    assert len(overwritten) == 14  # the 15th is still the variable `m`
    # saved, read back and measured by the grader from the weights they ended training with
    assert all(m["file"] and m["verified"] for m in overwritten)
    assert all(0 < m["evaluation"]["accuracy"] <= 1 for m in overwritten)
    assert all(m.get("fit_cell") for m in overwritten)
    assert "Hinton's result (98.47 %)" in check_of(r, "q2d_weight_decay",
                                                    "accuracy_threshold")["message"]
    # the profile's subset is cut where the notebook trains: load_data() gave all 60,000
    assert any("trained on the profile's training subset, not all 60,000 samples given" in n
               for n in r["notes"]), r["notes"]


def test_grader_draws_the_denoising_curves_with_the_best_classifier(dat405):
    r = dat405["results"]["full_solution"]
    curves = check_of(r, "q4c_denoising", "denoising_curves")
    assert curves["details"]["classifier"]["path"] == "cnn"
    measured = curves["details"]["curves"]
    assert len(measured["noisy"]) == 11 and measured["n_images"] == 2000
    assert measured["denoised"][4] > measured["noisy"][4]
    html = (dat405["out"] / "full_solution" / "report.html").read_text()
    assert "Drawn by the grader: your best classifier (cnn)" in html
    figures = {c["id"].split(".")[0]: c["message"] for x in r["questions"] for c in x["checks"]
               if c["id"].endswith("figure_in_section")}
    assert "cell 25" in figures["q4b_examples"] and "cell 31" in figures["q4d_generate"]


def test_autoencoder_trained_without_noise_falls_below_the_band(dat405):
    r = dat405["results"]["autoencoder_without_noise"]
    curves = check_of(r, "q4c_denoising", "denoising_curves")
    assert curves["outcome"] == "partial" and "on denoised images below" in curves["message"]
    assert curves["score"] < 0.6
    assert check_of(r, "q2c_curves", "history_length")["outcome"] == "fail"  # 5 epochs
    assert check_of(r, "q2d_weight_decay", "weight_decay_sweep")["outcome"] == "pass"


def test_activity_regularizer_is_not_weight_decay(dat405):
    r = dat405["results"]["activity_regularizer_no_cnn"]
    sweep = check_of(r, "q2d_weight_decay", "weight_decay_sweep")
    assert sweep["outcome"] == "fail" and "activity_regularizer" in sweep["message"]
    assert check_of(r, "q2d_weight_decay", "errorbar_plot")["outcome"] == "fail"
    assert "not a convolutional network" in q(r, "q3_cnn")["selection"]["reason"]
    curves = check_of(r, "q4c_denoising", "denoising_curves")
    assert curves["details"]["classifier"]["path"] in ("model", "mlp", "m")


def test_nb_epoch_is_translated_and_the_cnn_trains(dat405):
    r = dat405["results"]["nb_epoch_in_cnn_cell_translated"]
    assert r["execution"]["failures"] == []
    assert "keras1_nb_epoch" in {s["shim"] for s in r["compat"]}
    assert check_of(r, "q3_cnn", "accuracy_threshold")["score"] > 0  # trained, as meant
    assert check_of(r, "q2d_weight_decay", "weight_decay_sweep")["outcome"] == "pass"


def test_unchanged_starter_earns_nothing_for_the_code_it_was_given(dat405):
    r = dat405["results"]["unchanged_starter"]
    assert r["status"] == "graded"
    assert_starter_earns_at_most_5_percent(r)
    assert q(r, "q2a_model")["score"] == 0  # the network is given: 2A's points are for the answer
    assert check_of(r, "q4a_autoencoder", "param_count")["outcome"] == "pass"
    for qid in ("q2d_weight_decay", "q3_cnn"):
        assert q(r, qid)["score"] == 0
    assert check_of(r, "q4c_denoising", "figure_in_section")["outcome"] == "fail"
    assert r["manual_pending"] == 0
