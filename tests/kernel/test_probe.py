"""The probe's walker and converters, on stand-in classes (no kernel, no TensorFlow)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np

from grader.kernel.probe_src import Walker, describe_history, jsonable


class Model:
    history = None


class History:
    def __init__(self, data):
        self.history, self.params = data, {"epochs": len(data["loss"])}


FAKE_KERAS = SimpleNamespace(Model=Model, callbacks=SimpleNamespace(History=History))


def test_walker_finds_models_in_containers_once_each():
    m1, m2 = Model(), Model()
    m2.history = History({"loss": [1.0, 0.5]})
    ns = {"model": m1, "zoo": {"a": [m1, m2]}, "_hidden": Model(), "In": [Model()],
          "cm": np.ones((10, 10)), "weights": np.ones((784, 10)), "hist": {"loss": [1.0]}}
    w = Walker(FAKE_KERAS)
    w.walk(ns)
    assert [paths for _, paths in w.models] == [["model", "zoo['a'][0]"], ["zoo['a'][1]"]]
    assert [paths for _, paths in w.histories] == [["zoo['a'][1].history"], ["hist"]]
    assert [a["path"] for a in w.arrays] == ["cm"]


def test_models_kept_only_through_their_histories_are_found():
    runs = []
    for _ in range(3):
        h = History({"loss": [1.0]})
        h.model = Model()
        runs.append(h)
    w = Walker(FAKE_KERAS)
    w.walk({"runs": runs})
    assert [paths for _, paths in w.models] == [[f"runs[{i}].model"] for i in range(3)]
    assert len(w.histories) == 3


def test_walker_depth_is_bounded():
    deep = [[[[Model()]]]]
    w = Walker(FAKE_KERAS, max_depth=3)
    w.walk({"deep": deep})
    assert w.models == []


def test_jsonable_makes_plain_json():
    value = {"a": np.float32(0.5), "b": [np.int64(3), float("nan")], "c": (1, 2),
             "d": np.arange(3), "e": object()}
    out = jsonable(value)
    assert json.loads(json.dumps(out))["b"] == [3, None]
    assert out["d"] == [0, 1, 2] and out["c"] == [1, 2] and isinstance(out["e"], str)


def test_history_description_from_object_or_dict():
    h = describe_history(History({"loss": [1.0, np.float32(0.5)], "val_loss": [1.2, math.inf]}))
    assert h["epochs_run"] == 2 and h["history"]["val_loss"] == [1.2, None]
    assert describe_history({"loss": [1, 2, 3]})["epochs_run"] == 3
