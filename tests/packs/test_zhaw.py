"""The zhaw_cnn pack end to end: CNNs, batch norm, per-pixel standardisation, extra data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from grader.gradebook.store import Gradebook
from tests.conftest import (
    FIXTURES,
    ROOT,
    assert_pack_ready,
    assert_starter_earns_at_most_5_percent,
    grade_folder,
    run_cli,
)
from tests.conftest import check_of as check
from tests.conftest import question as q

pytestmark = pytest.mark.kernel
SAMPLES = ROOT / "submissions" / "zhaw_cnn"


@pytest.fixture(scope="module")
def zhaw(tmp_path_factory, mnist_path):
    return grade_folder(SAMPLES, "zhaw_cnn", tmp_path_factory.mktemp("zhaw"), mnist_path,
                        "--no-pdf")[1]


def selected(result, qid):
    """The model a question graded."""
    mid = q(result, qid)["selection"]["model_id"]
    return next(m for m in result["models"] if m["id"] == mid)


def part_of_cell(result, cell):
    """The course notebook a cell of the joined notebook came from."""
    import nbformat

    from grader.assignment.parts import cell_parts

    nb = nbformat.read(result["file"], as_version=4)
    return cell_parts([dict(c) for c in nb.cells])[cell]


def test_full_solution_model_sizes_match_the_handout(zhaw):
    r = zhaw["full_solution"]
    assert selected(r, "q2_cnn1")["total_params"] == 251_210
    cnn2 = selected(r, "q4_cnn2")
    assert (cnn2["total_params"], cnn2["trainable_params"]) == (695_970, 695_186)
    assert selected(r, "q5_faces")["total_params"] == 1_805_608
    for qid in ("q2_cnn1", "q3_cnn1_training", "q5_faces"):
        assert q(r, qid)["outcome"] == "pass", qid
    assert check(r, "q4_cnn2", "param_count")["outcome"] == "pass"
    assert check(r, "q2_cnn1", "scaling_used")["details"]["found"].startswith("each pixel")
    assert_pack_ready(zhaw["unchanged_starter"], r)  # what `grader pack check` asks


def test_each_question_reads_its_own_notebook_though_every_one_names_its_model_model(zhaw):
    r = zhaw["full_solution"]
    assert part_of_cell(r, selected(r, "q2_cnn1")["fit_cell"]) == "08_cnn1_mnist.ipynb"
    assert part_of_cell(r, selected(r, "q4_cnn2")["fit_cell"]) == (
        "08_cnn2_mnist_No_solution.ipynb")
    for label, qid in (("A1", "a1_parameters"), ("A4", "a4_finetuning")):
        answer = q(r, qid)["answer"]
        assert answer["how"] == "label", label
    assert part_of_cell(r, q(r, "a4_finetuning")["answer"]["cell"]) == (
        "12_8_faces_fine_tuning.ipynb")


def test_the_courses_own_keras1_notebooks_run_with_only_the_faces_download_failing(zhaw):
    r = zhaw["full_solution"]
    shims = {s["shim"] for s in r["compat"]}
    assert {"keras1_convolution2d", "keras1_keywords", "keras1_nb_epoch", "tf1_set_random_seed",
            "layers_normalization", "history_acc", "batch_input_shape", "tensorboard"} <= shims
    # the MNIST notebooks run whole; the faces notebook downloads its features (no network
    # in the sandbox), so its data cells fail, but its network is built and graded
    failed = {part_of_cell(r, f["cell"]) for f in r["execution"]["failures"]}
    assert failed == {"12_8_faces_fine_tuning.ipynb"}
    assert not any("parameters" in n for n in r["notes"])  # the course's notebooks have none


def test_a_notebook_not_handed_in_costs_its_own_questions_only(zhaw):
    r = zhaw["faces_notebook_not_handed_in"]
    assert any("Not handed in" in n and "12_8_faces_fine_tuning.ipynb" in n for n in r["notes"])
    assert q(r, "q5_faces")["score"] == 0 and q(r, "a4_finetuning")["answer"] is None
    assert check(r, "q4_cnn2", "param_count")["outcome"] == "pass"
    assert q(r, "a1_parameters")["answer"]["how"] == "label"
    assert r["execution"]["failures"] == []


def test_faces_accuracy_is_skipped_without_data_and_counts_zero_of_zero(zhaw):
    acc = check(zhaw["full_solution"], "q5_faces", "accuracy_threshold")
    assert acc["outcome"] == "skipped" and acc["max_score"] == 0
    assert "--data faces=PATH" in acc["message"]
    assert zhaw["full_solution"]["max_score"] == 11  # 12 points, 1 not measurable


def test_unchanged_starter_earns_nothing_for_the_code_it_was_given(zhaw):
    r = zhaw["unchanged_starter"]
    assert_starter_earns_at_most_5_percent(r)
    # the notebook's cnn2 without the block is given code: 4 layers from the reference
    assert check(r, "q4_cnn2", "param_count")["outcome"] == "fail"
    assert "more than 3 layer change(s)" in q(r, "q4_cnn2")["selection"]["reason"]
    faces = check(r, "q5_faces", "param_count")
    assert faces["outcome"] == "fail" and "4096 inputs" in faces["message"]
    # the given cnn1 is shown as standing, for no points
    for qid in ("q2_cnn1", "q3_cnn1_training"):
        assert q(r, qid)["outcome"] == "pass" and q(r, qid)["points"] == 0, qid


def test_missing_batchnorm_changes_the_parameter_count(zhaw):
    r = zhaw["cnn2_without_batchnorm"]
    count = check(r, "q4_cnn2", "param_count")
    assert count["outcome"] == "fail" and "695,714" in count["message"]


def test_data_not_standardised_is_detected_on_training_images(zhaw):
    r = zhaw["not_standardised"]
    assert check(r, "q2_cnn1", "scaling_used")["outcome"] == "fail"
    assert check(r, "q2_cnn1", "param_count")["outcome"] == "pass"


def test_faces_accuracy_measured_with_the_courses_own_features_file(tmp_path, mnist_path):
    """Generated features, in the course file's layout, stand in for the 8-faces data.

    The course's faces notebook opens ``8_faces_EMB.npz`` in its folder (downloading it
    when missing, which the sandbox cannot): the file the instructor gives is put there
    under that name, and read by the grader through the spec's ``arrays`` names.
    """
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 1, (8, 4096)).astype("float32")

    def split(n):
        y = rng.integers(0, 8, n)
        return centers[y] + rng.normal(0, 0.5, (n, 4096)).astype("float32"), y

    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = split(320), split(80), split(160)
    features = tmp_path / "faces_from_the_course.npz"
    np.savez(features, x_train, x_valid, x_test, y_train, y_valid, y_test)  # arr_0 … arr_5
    shutil.copytree(ROOT / "reference" / "zhaw_cnn", tmp_path / "packs" / "zhaw_cnn")
    env = {"GRADER_MNIST": str(mnist_path), "GRADER_PACKS": str(tmp_path / "packs")}
    wrong = run_cli("reference", "build", "zhaw_cnn", "--only", "vgg", env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and "no reference model 'vgg' (the spec's: fc, cnn1" in (
        " ".join(wrong.stderr.split()))
    # the faces data arrived: only its model is trained again, the MNIST ones are kept
    built = run_cli("reference", "build", "zhaw_cnn", "--data", f"faces={features}",
                    "--only", "faces", env=env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    shown = run_cli("reference", "show", "zhaw_cnn", "--profile", "fast", "--format", "json",
                    env=env, cwd=tmp_path)
    assert '"accuracy": null' not in shown.stdout
    committed = json.loads((ROOT / "reference/zhaw_cnn/expected/fast.json").read_text())
    rebuilt = json.loads((tmp_path / "packs/zhaw_cnn/expected/fast.json").read_text())
    assert rebuilt["generated_with"]["rebuilt"] == ["faces"]
    assert rebuilt["generated_with"]["datasets"] == ["faces", "mnist"]
    for name in ("fc", "cnn1", "cnn2"):
        assert rebuilt["models"][name] == committed["models"][name]
    assert committed["models"]["faces"]["evaluation"] is None
    assert rebuilt["models"]["faces"]["evaluation"]["accuracy"] > 0.9
    # two students, only their faces cells (the MNIST networks are graded by the fixture
    # above): the course's own notebook, and one that takes the file as a parameter
    class_dir = tmp_path / "class"
    (class_dir / "course_notebook").mkdir(parents=True)
    shutil.copyfile(SAMPLES / "full_solution" / "12_8_faces_fine_tuning.ipynb",
                    class_dir / "course_notebook" / "12_8_faces_fine_tuning.ipynb")
    shutil.copyfile(FIXTURES / "zhaw_faces_head_only.ipynb", class_dir / "parameter.ipynb")
    proc = run_cli("grade", str(class_dir), "-a", "zhaw_cnn", "--data", f"faces={features}",
                   "--out", str(tmp_path / "out"), "--no-pdf", env=env, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        graded = {r["student"]: r for r in book.latest("zhaw_cnn")}
    for r in graded.values():
        acc = check(r, "q5_faces", "accuracy_threshold")
        assert acc["outcome"] == "pass" and acc["details"]["accuracy"] > 0.9, r["student"]
        assert r["max_score"] == 12
    # the course notebook found its file: no cell failed, nothing was downloaded
    course = graded["course_notebook"]
    assert course["execution"]["failures"] == [], course["execution"]["failures"]


def test_bad_data_option_is_one_clear_line(tmp_path, mnist_path):
    proc = run_cli("grade", str(SAMPLES), "-a", "zhaw_cnn", "--data", "vgg=/nope.npz", "--out",
                   str(tmp_path), env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 2 and "has no dataset 'vgg' (datasets: faces)" in proc.stderr
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_test=np.zeros((3, 10)), y_test=np.zeros(3))
    proc = run_cli("grade", str(SAMPLES), "-a", "zhaw_cnn", "--data", f"faces={bad}", "--out",
                   str(tmp_path), env={"GRADER_MNIST": str(mnist_path)})
    assert proc.returncode == 2 and "x_test has shape (3, 10); expected (N, 4096)" in proc.stderr
