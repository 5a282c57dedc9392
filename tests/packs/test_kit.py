"""The kit_blatt10 pack end to end: 1765 parameters, a student's formula, apply() on PNGs."""

from __future__ import annotations

import pytest

from grader.assignment.pack import find_pack
from grader.errors import DataError
from grader.evaluate.images import read_png, write_png
from tests.conftest import (
    ROOT,
    assert_pack_ready,
    assert_starter_earns_at_most_5_percent,
    grade_folder,
)
from tests.conftest import check_of as check
from tests.conftest import question as q

SAMPLES = ROOT / "submissions" / "kit_blatt10"


def test_shipped_example_pngs_are_the_first_mnist_test_digits(mnist_path):
    import numpy as np

    pack = find_pack("kit_blatt10")
    files = sorted(pack.root.glob("example_input_*.png"))
    assert len(files) == 20
    x_test = np.load(mnist_path)["x_test"]
    for i, f in enumerate(files):
        np.testing.assert_array_equal(read_png(f), x_test[i])


def test_png_errors_name_the_file(tmp_path):
    import numpy as np

    big = write_png(np.zeros((32, 30), dtype=np.uint8), tmp_path / "big.png")
    with pytest.raises(DataError, match="30×32 pixels, not 28×28"):
        read_png(big)
    (tmp_path / "text.png").write_text("no")
    with pytest.raises(DataError, match="text.png: not a readable image"):
        read_png(tmp_path / "text.png")


@pytest.fixture(scope="module")
def kit(tmp_path_factory, mnist_path):
    return grade_folder(SAMPLES, "kit_blatt10", tmp_path_factory.mktemp("kit"), mnist_path,
                        "--no-pdf")[1]


@pytest.mark.kernel
def test_full_solution(kit):
    r = kit["full_solution"]
    assert_pack_ready(kit["unchanged_starter"], r)  # what `grader pack check` asks
    for qid in ("q1_example", "q2_dense_formula", "q3_enlarged", "q4_curves", "q5_apply"):
        assert q(r, qid)["outcome"] == "pass", (qid, q(r, qid)["checks"])
    assert q(r, "q1_example")["selection"]["path"] == "example_model"
    apply = check(r, "q5_apply", "apply_agrees")
    assert apply["details"]["agreement"] == 1.0 and "grader's own 100 PNGs" in apply["message"]
    assert r["calls"]["dense_params"] == [{"arg": 1, "value": 805}, {"arg": 16, "value": 12730},
                                          {"arg": 100, "value": 79510}]


@pytest.mark.kernel
def test_unchanged_starter_earns_nothing_for_the_code_it_was_given(kit):
    r = kit["unchanged_starter"]
    assert_starter_earns_at_most_5_percent(r)
    assert check(r, "q1_example", "param_count")["outcome"] == "pass"  # shown, for no points
    assert "dense_params(1) returned None" in check(r, "q2_dense_formula", "function_values")[
        "message"]
    # `model = example_model`: the given model under the assignment's name is not graded
    assert "is the model the starter gives (`example`" in q(r, "q3_enlarged")["selection"][
        "reason"]
    assert check(r, "q4_curves", "plots_present")["score"] == 0  # the given code's curves


@pytest.mark.kernel
def test_apply_that_scales_twice_disagrees_with_the_model(kit):
    apply = check(kit["apply_divides_twice"], "q5_apply", "apply_agrees")
    assert apply["outcome"] in ("fail", "partial") and apply["details"]["agreement"] < 0.9
    assert "scale it exactly as the training images" in apply["message"]


@pytest.mark.kernel
def test_wrong_formula_and_missing_pooling(kit):
    r = kit["wrong_formula"]
    assert check(r, "q2_dense_formula", "function_values")["outcome"] == "fail"
    count = check(r, "q1_example", "param_count")
    assert count["outcome"] == "fail" and "1,765" in count["message"]


@pytest.mark.kernel
def test_keras1_fit_argument_is_translated_and_the_model_trains(kit):
    r = kit["keras1_nb_epoch_translated"]
    assert r["execution"]["failures"] == []
    assert "keras1_nb_epoch" in {s["shim"] for s in r["compat"]}
    assert check(r, "q3_enlarged", "accuracy_threshold")["score"] > 0  # trained, as meant
    assert check(r, "q1_example", "param_count")["outcome"] == "pass"
    assert q(r, "q2_dense_formula")["score"] == 2
