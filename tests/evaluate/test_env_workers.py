"""The JSON-lines protocol of evaluation workers in a pack's own Python."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader.assignment.spec import MNIST, Dataset, Denoising
from grader.evaluate.data import DataSource
from grader.evaluate.env_workers import _jsonable, init_message


def test_the_init_message_is_plain_json_and_names_every_source(tmp_path):
    source = DataSource(Dataset(MNIST, 784, 10), Path(tmp_path / "mnist.npz"))
    images = {"own": {"files": [Path("a.png")], "x": [[0.0]], "y": [3]}}
    msg = init_message({MNIST: source}, {k: {**v, "files": ["a.png"]} for k, v in images.items()},
                       Denoising((0.0, 0.5), 100, 1, "autoencoder", "cnn"))
    again = json.loads(json.dumps(msg))
    assert again["sources"][MNIST]["path"] == str(tmp_path / "mnist.npz")
    assert again["images"]["own"]["y"] == [3] and again["denoising"] is not None
    assert init_message({}, {}, None)["denoising"] is None


def test_numpy_values_become_plain_json_and_anything_else_is_refused():
    assert json.dumps({"a": np.float32(0.5), "b": np.arange(3)}, default=_jsonable) == \
        '{"a": 0.5, "b": [0, 1, 2]}'
    with pytest.raises(TypeError, match="not JSON"):
        json.dumps({"x": object()}, default=_jsonable)
