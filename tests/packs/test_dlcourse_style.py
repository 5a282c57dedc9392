"""The DL course's own notebook style grades as written: kernel libraries (issue 42)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES, check_of, grade_folder, question

pytestmark = pytest.mark.kernel

NOTEBOOK = "dlcourse_style_sklearn_seaborn_plot_model_session_info.ipynb"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_path):
    folder = tmp_path_factory.mktemp("dlstyle")
    shutil.copy(FIXTURES / NOTEBOOK, folder / NOTEBOOK)
    out = tmp_path_factory.mktemp("dlstyle-out")
    _, results = grade_folder(folder, "dlcourse_mlp", out, mnist_path, "--no-pdf")
    return results[NOTEBOOK.removesuffix(".ipynb")]


def test_scikit_learns_confusion_matrix_is_found(graded):
    assert question(graded, "q4_confusion")["outcome"] == "pass"


def test_seaborn_pandas_and_plot_model_run_and_only_the_missing_package_fails(graded):
    failures = graded["execution"]["failures"]
    failed = {f["cell"]: f for f in failures}
    assert [f["ename"] for f in failures] == ["ModuleNotFoundError"], failures
    assert "session_info" in failed[3]["evalue"]
    assert graded["histories"][0]["epochs_run"] >= 1  # the model trained after the failure
    # the course's own network, spelled its own way, is still the given code: no points
    assert "the model the starter gives" in question(graded, "q2_accuracy")["selection"]["reason"]


def test_the_answers_under_bold_q_labels_are_found(graded):
    for qid in ("a1_training_time", "a2_accuracy", "a3_confusion", "a4_overfitting"):
        assert check_of(graded, qid, "answer_present")["outcome"] == "manual"
