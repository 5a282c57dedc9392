"""grade_questions is pure: a probe document and evaluations in, question results out."""

from __future__ import annotations

from grader.grade import grade_questions
from grader.pack import find_pack


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
    assert qs["q1_fc"]["score"] == 0
    assert "no Keras model found" in qs["q1_fc"]["checks"][0]["message"]
    assert qs["q3_cnn1_training"]["checks"][0]["outcome"] == "fail"  # same_as q2: nothing


def test_answers_are_found_in_cells():
    cells = [{"cell_type": "markdown", "source": "### A1. Where?\n\nIn dense_1.",
              "metadata": {"grader": {"cell": 3}}}]
    qs = grade([], cells=cells)
    assert qs["a1_parameters"]["outcome"] == "manual"
    assert qs["a1_parameters"]["answer"] == {"cell": 3, "text": "In dense_1."}
    assert qs["a2_overfitting"]["outcome"] == "fail"
