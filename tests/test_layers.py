"""Layer tables read as a student would describe a model (grader.layers)."""

from __future__ import annotations

from grader import layers as L


def _mlp(*units: int, act_layers: bool = False) -> dict:
    table = [{"class_name": "Flatten"}]
    for n in units[:-1]:
        if act_layers:
            table += [{"class_name": "Dense", "units": n, "activation": "linear"},
                      {"class_name": "ReLU"}]
        else:
            table.append({"class_name": "Dense", "units": n, "activation": "relu"})
    table.append({"class_name": "Dense", "units": units[-1], "activation": "softmax"})
    return {"layers": table, "input_shape": [None, 28, 28], "output_shape": [None, units[-1]]}


def test_activation_layers_fold_into_the_layer_before_them():
    assert L.blocks(_mlp(16, 10, act_layers=True)["layers"]) == L.blocks(_mlp(16, 10)["layers"])
    assert L.describe(_mlp(16, 10)["layers"]) == L.describe(_mlp(16, 10, act_layers=True)["layers"])


def test_a_shape_layer_is_not_a_block_and_sizes_come_from_shapes():
    summary = _mlp(64, 64, 10)
    assert [b["kind"] for b in L.blocks(summary["layers"])] == ["Dense", "Dense", "Dense"]
    assert L.input_size(summary) == 784 and L.output_size(summary) == 10
    assert L.is_mlp(summary) and not L.is_cnn(summary) and L.fits(summary)


def test_distance_counts_layer_changes_from_the_reference():
    ref = _mlp(64, 64, 10)
    assert L.distance(ref, ref)[0] == 0
    assert L.distance(_mlp(500, 300, 10), ref)[0] >= 0
    assert L.distance(_mlp(64, 10), ref)[0] == 1
    assert L.edit_distance(["a", "b", "c"], ["a", "c"]) == 1
