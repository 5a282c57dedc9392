"""Assessing a run: grade_questions is pure, and a stored run is reused only when valid."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from grader.assignment.pack import find_pack
from grader.grading.assess import RUN_FILE, Run, grade_questions, measure


def faces_head(mid: int, path: str) -> dict:
    """The probe's summary of a correct 8-faces head."""
    dense = {"class_name": "Dense", "activation": "linear"}
    layers = [{"class_name": "InputLayer"}]
    for units in (400, 400):
        layers += [dense | {"units": units}, {"class_name": "BatchNormalization"},
                   {"class_name": "Activation", "activation": "relu"},
                   {"class_name": "Dropout", "rate": 0.5}]
    layers += [dense | {"units": 8}, {"class_name": "Activation", "activation": "softmax"}]
    return {"id": mid, "path": path, "paths": [path], "layers": layers, "built": True,
            "input_shape": [None, 4096], "output_shape": [None, 8], "total_params": 1_805_608,
            "trainable_params": 1_804_008, "non_trainable_params": 1_600}


def grade(models, evaluations=None, available=("mnist",), cells=()):
    pack = find_pack("zhaw_cnn")
    probe = {"models": models, "histories": [], "arrays": []}
    results = grade_questions(pack, pack.expected("fast"), probe, evaluations or {}, [],
                              list(cells), available)
    return {q["id"]: q for q in results}


def test_faces_structure_graded_and_accuracy_skipped_without_data():
    qs = grade([faces_head(0, "model_faces")])
    faces = qs["q5_faces"]
    assert [c["outcome"] for c in faces["checks"]] == ["pass", "pass", "skipped"]
    assert faces["points"] == 2 and faces["score"] == 2 and faces["outcome"] == "pass"


def test_faces_data_without_a_reference_built_on_it_is_still_skipped():
    # the shipped expected results were built without the faces data, so there are no bounds
    qs = grade([faces_head(0, "model_faces")], {0: {"accuracy": 0.2, "n_test": 160}},
               available=("mnist", "faces"))
    acc = qs["q5_faces"]["checks"][2]
    assert acc["outcome"] == "skipped" and "rebuild the reference" in acc["message"]


def test_missing_models_are_reported_per_question_with_what_was_looked_for():
    qs = grade([])
    assert qs["q2_cnn1"]["score"] == 0
    assert "no Keras model found" in qs["q2_cnn1"]["checks"][0]["message"]
    assert qs["q3_cnn1_training"]["checks"][0]["outcome"] == "fail"  # same_as q2: nothing
    # a check's own hint improves a model ("train longer"): none here; the spec's stay
    cnn = {c["id"].split(".")[-1]: c for c in qs["q2_cnn1"]["checks"]}
    assert cnn["accuracy_threshold"]["details"]["no_model"]
    assert cnn["accuracy_threshold"]["hint"] is None and cnn["param_count"]["hint"] is None
    assert qs["q4_cnn2"]["checks"][0]["hint"].startswith("The missing block is Conv2D(64")


def test_answers_are_found_in_cells():
    cells = [{"cell_type": "markdown", "source": "### A1. Where?\n\nIn dense_1.",
              "metadata": {"grader": {"cell": 3}}}]
    qs = grade([], cells=cells)
    assert qs["a1_parameters"]["outcome"] == "manual"
    answer = qs["a1_parameters"]["answer"]
    assert (answer["cell"], answer["text"], answer["how"]) == (3, "In dense_1.", "label")
    assert "under its label `A1`" in qs["a1_parameters"]["checks"][0]["message"]
    assert qs["a2_overfitting"]["outcome"] == "fail"


def stored_run(tmp_path, **changes) -> Run:
    """A run saved in ``tmp_path`` whose one model file is in ``collected/``."""
    (tmp_path / "collected" / "models").mkdir(parents=True)
    (tmp_path / "collected" / "models" / "model-1.keras").write_bytes(b"zip")
    run = Run("e" * 16, "a" * 64, 1_700_000_000.0, {"seconds": 3.5, "failures": []},
              {"models": [{"id": 1, "file": "models/model-1.keras"}], "histories": []},
              [{"number": 1, "file": "figure-1.png"}], ["a note"], "cpu", False, 2.0)
    run = replace(run, **changes)
    run.save(tmp_path)
    return run


def test_a_saved_run_reads_back_whole(tmp_path):
    run = stored_run(tmp_path)
    assert Run.load(tmp_path) == run
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_run_is_reused_only_for_the_same_notebook_and_execution(tmp_path):
    run = stored_run(tmp_path)
    assert run.reusable("a" * 64, "e" * 16, tmp_path)
    assert not run.reusable("b" * 64, "e" * 16, tmp_path)  # the notebook changed
    assert not run.reusable("a" * 64, "f" * 16, tmp_path)  # how it runs changed
    assert not run.reusable("a" * 64, "", tmp_path)
    (tmp_path / "collected" / "models" / "model-1.keras").unlink()
    assert not run.reusable("a" * 64, "e" * 16, tmp_path)  # its model is gone


@pytest.mark.parametrize("text", ["", "{", '{"run_version": 99}', '{"run_version": 1, "x": 1}',
                                  "[]"])
def test_an_unreadable_or_foreign_run_file_is_no_run(tmp_path, text):
    (tmp_path / RUN_FILE).write_text(text)
    assert Run.load(tmp_path) is None
    assert Run.load(tmp_path / "missing") is None


class CountingEvaluator:
    """Stands in for the clean worker: measures every model as 0.5 accurate, counts calls."""

    sources: dict = {}

    def __init__(self) -> None:
        self.calls = 0

    def evaluate(self, requests):
        self.calls += 1
        return {str(path.resolve()): {"accuracy": 0.5} for path, _ in requests}


def test_measurements_are_stored_with_the_run_and_reused_under_the_same_fingerprint(tmp_path):
    run = stored_run(tmp_path)
    evaluator = CountingEvaluator()
    setup = SimpleNamespace(pack=find_pack("dlcourse_mlp"), evaluator=evaluator,
                            evaluation_fingerprint="m1")
    assert measure(run, setup, tmp_path) == {1: {"accuracy": 0.5}}
    stored = Run.load(tmp_path)
    assert stored.evaluation_fingerprint == "m1" and evaluator.calls == 1
    assert measure(stored, setup, tmp_path) == {1: {"accuracy": 0.5}}
    assert evaluator.calls == 1  # taken from the run, not measured again
    changed = SimpleNamespace(**vars(setup) | {"evaluation_fingerprint": "m2"})
    assert measure(stored, changed, tmp_path) == {1: {"accuracy": 0.5}}
    assert evaluator.calls == 2  # the data or the measuring code changed: measured again
    assert Run.load(tmp_path).evaluation_fingerprint == "m2"


def test_measurements_that_failed_for_the_moment_are_not_stored(tmp_path):
    run = stored_run(tmp_path)
    evaluator = CountingEvaluator()
    evaluator.evaluate = lambda requests: {}  # the worker answered nothing: "not evaluated"
    setup = SimpleNamespace(pack=find_pack("dlcourse_mlp"), evaluator=evaluator,
                            evaluation_fingerprint="m1")
    assert measure(run, setup, tmp_path)[1]["error"] == "not evaluated"
    assert Run.load(tmp_path).evaluations is None


def test_what_the_grader_chose_not_to_measure_is_stored(tmp_path):
    run = stored_run(tmp_path)
    evaluator = CountingEvaluator()
    evaluator.evaluate = lambda requests: {str(p.resolve()): {"error": "not measured: fit only"}
                                           for p, _ in requests}
    setup = SimpleNamespace(pack=find_pack("dlcourse_mlp"), evaluator=evaluator,
                            evaluation_fingerprint="m1")
    measure(run, setup, tmp_path)
    assert Run.load(tmp_path).evaluations == {"1": {"error": "not measured: fit only"}}


def test_a_check_shown_for_no_points_keeps_its_verdict():
    """Given code's checks are worth 0: partial stays partial, though nothing is earned."""
    from grader.assignment.spec import CheckSpec, Question
    from grader.grading.assess import run_check

    history = {"id": 0, "history": {"loss": [1.0, 0.8], "accuracy": [0.5, 0.6]},
               "params": {"epochs": 2}, "epochs_run": 2}
    found = {"history": history, "model": {"id": 0}}
    for points in (1.0, 0.0):
        spec = CheckSpec("history_length", points, {"min_epochs": 2,
                                                    "require_validation": True})
        q = Question("q", "Q", points, (spec,))
        expected = {"checks": {"q.history_length": {"min_epochs": 2, "validation": True}}}
        result = run_check(spec, q, found, expected)
        assert result.outcome.value == "partial", result  # trained, but no validation
        assert result.max_score == points and result.score == points / 2


def test_a_question_on_one_notebook_reads_only_the_models_trained_in_it():
    pack = find_pack("zhaw_cnn")
    questions = tuple(replace(q, notebook="faces.ipynb" if q.id == "q5_faces" else "cnn.ipynb")
                      for q in pack.spec.questions)
    pack = replace(pack, spec=replace(pack.spec, notebooks=("cnn.ipynb", "faces.ipynb"),
                                      questions=questions))
    cells = [{"cell_type": "markdown", "source": "# Notebook 1 of 2",
              "metadata": {"grader": {"cell": 1, "part": "cnn.ipynb"}}},
             {"cell_type": "code", "source": "model_faces.fit(x, y)",
              "metadata": {"grader": {"cell": 2}}},
             {"cell_type": "markdown", "source": "# Notebook 2 of 2",
              "metadata": {"grader": {"cell": 3, "part": "faces.ipynb", "missing": True}}},
             {"cell_type": "code", "source": "model_faces.fit(x, y)\n# (as in faces.ipynb)",
              "metadata": {"grader": {"cell": 4}}}]

    def faces_score(trained_in: int) -> float:
        probe = {"models": [faces_head(0, "model_faces")], "arrays": [],
                 "histories": [{"id": 1, "model_id": 0, "cell": trained_in, "epochs": 5,
                                "history": {"loss": [1.0] * 5}}]}
        qs = {q["id"]: q for q in grade_questions(pack, pack.expected("fast"), probe, {}, [],
                                                  cells)}
        return qs["q5_faces"]["score"]

    assert faces_score(trained_in=4) == 2
    assert faces_score(trained_in=2) == 0  # trained in the other notebook: not this question's
