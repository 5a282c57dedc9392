"""The centralesupelec_lab7 pack end to end: LeNet, kernels, activation and dropout variants."""

from __future__ import annotations

import pytest

from tests.conftest import (
    ROOT,
    assert_pack_ready,
    assert_starter_earns_at_most_5_percent,
    grade_folder,
)
from tests.conftest import question as q

pytestmark = pytest.mark.kernel
SAMPLES = ROOT / "submissions" / "centralesupelec_lab7"


@pytest.fixture(scope="module")
def lab7(tmp_path_factory, mnist_path):
    out = tmp_path_factory.mktemp("lab7")
    return {"out": out, "results": grade_folder(SAMPLES, "centralesupelec_lab7", out,
                                                mnist_path, "--no-pdf")[1]}


def test_full_solution_earns_every_automatic_point(lab7):
    r = lab7["results"]["full_solution"]
    assert [q(r, x)["outcome"] for x in ("q1_lenet", "q2_training", "q3_confusion", "q4_kernels",
                                         "q5_activations", "q6_dropout")] == ["pass"] * 6
    assert r["score"] == 12 and r["manual_pending"] == 4
    assert_pack_ready(lab7["results"]["unchanged_starter"], r)  # what `grader pack check` asks
    lenet = next(m for m in r["models"] if m["path"] == "model")
    assert lenet["total_params"] == 51_902
    kernels = lenet["evaluation"]["kernels"]
    assert [len(k) for k in kernels] == [6, 16] and len(kernels[0][0]) == 5
    assert lenet["evaluation"]["most_confused"][0]["count"] > 0


def test_report_names_the_most_confused_classes_and_draws_kernels(lab7):
    html = (lab7["out"] / "full_solution" / "report.html").read_text()
    assert "Most frequent mistakes:" in html and " read as " in html
    assert "convolution layer 2" in html
    assert html.count("data:image/svg+xml;base64,") == 1  # the curves, drawn as SVG
    assert html.count("data:image/png;base64,") == 2  # two kernel grids, pictures
    assert html.count('<table class="confusion">') == 1 and html.count("<td style=") == 100


def test_unchanged_starter_gets_nothing_but_is_graded(lab7):
    r = lab7["results"]["unchanged_starter"]
    assert r["status"] == "graded" and r["score"] == 0
    assert_starter_earns_at_most_5_percent(r)
    assert "no Keras model found" in q(r, "q1_lenet")["selection"]["reason"]


def test_one_conv_layer_and_missing_experiments(lab7):
    r = lab7["results"]["one_conv_layer"]
    counts = q(r, "q1_lenet")["checks"][0]
    assert counts["outcome"] == "fail" and "1 Conv2D" in counts["message"]
    assert q(r, "q4_kernels")["score"] == 1  # first layer only
    assert q(r, "q5_activations")["outcome"] == "pass" and q(r, "q6_dropout")["score"] == 0
    r = lab7["results"]["no_experiments"]
    assert q(r, "q5_activations")["checks"][0]["outcome"] == "partial"
    assert "activation relu" in q(r, "q5_activations")["checks"][0]["message"]
    assert "No trained model with any dropout rate" in q(r, "q6_dropout")["checks"][0]["message"]


def test_old_optimizer_spelling_is_translated_and_listed(lab7):
    """``SGD(lr=0.1)`` fails on Keras 3; the compatibility layer runs it and reports the line."""
    r = lab7["results"]["old_optimizer_lr_translated"]
    assert r["execution"]["failures"] == []
    assert [(s["shim"], s["cell"]) for s in r["compat"]] == [("optimizer_lr", 7)]
    tanh = next(m for m in r["models"] if m["path"] == "model")
    assert tanh["optimizer"]["learning_rate"] == pytest.approx(0.1)
    assert q(r, "q1_lenet")["score"] > 2.5  # it trained: accuracy near the threshold
    assert all(q(r, x)["outcome"] == "pass" for x in ("q2_training", "q3_confusion",
                                                     "q4_kernels", "q5_activations", "q6_dropout"))
    html = (lab7["out"] / "old_optimizer_lr_translated" / "report.html").read_text()
    assert "Old Keras spellings to update" in html and "SGD(lr=0.1)" in html
