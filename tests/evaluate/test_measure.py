"""What the grader trusts of a model: what it read from the file (grader.evaluate.measure)."""

from __future__ import annotations

from pathlib import Path

from grader.evaluate.measure import best_classifier, denoise_models, verified_models


def test_the_structure_read_from_the_file_replaces_what_the_kernel_claimed():
    models = [{"id": 1, "file": "models/model-1.keras", "total_params": 10, "layers": ["fake"]}]
    read = {"total_params": 55050, "trainable_params": 55050, "layers": [{"class_name": "Dense"}]}
    (m,) = verified_models(models, {1: {"structure": read, "accuracy": 0.9}})
    assert m["verified"] and m["total_params"] == 55050
    assert m["kernel_claimed"] == {"total_params": 10}


def test_a_model_whose_file_cannot_be_read_keeps_no_structure():
    models = [{"id": 2, "file": "models/model-2.keras", "total_params": 99, "layers": ["x"]}]
    (m,) = verified_models(models, {2: {"structure": {"error": "Lambda layer"}}})
    assert "layers" not in m and "total_params" not in m and m["unverified"] == "Lambda layer"


def test_the_best_classifier_is_the_best_measured_on_mnist():
    models = [{"id": i, "path": f"m{i}", "file": f"f{i}"} for i in (1, 2, 3)]
    ev = {1: {"dataset": "mnist", "accuracy": 0.95, "scaling": "unit"},
          2: {"dataset": "mnist", "accuracy": 0.97, "scaling": "unit"},
          3: {"dataset": "faces", "accuracy": 0.99, "scaling": "unit"}}
    assert best_classifier(models, ev)["id"] == 2
    assert best_classifier(models, {}) is None


class _NoMeter:
    sources: dict = {}

    def denoise(self, requests):  # pragma: no cover - must not be asked
        raise AssertionError("no classifier: nothing to measure")


def test_autoencoders_without_a_classifier_say_why_rather_than_measure():
    ae = {"id": 5, "file": "f5", "layers": [], "input_shape": [None, 784],
          "output_shape": [None, 784]}
    out = denoise_models([ae], {}, _NoMeter(), Path("/w"))
    assert "no MNIST classifier" in out[5]["error"]
