"""Which model a question grades: names first, then structure, with a reason."""

from __future__ import annotations

from grader import layers as L
from grader.assignment.spec import Dataset, Selector
from grader.grading.selection import root_name, select_model


def mlp(mid, path, hidden, total=None):
    layers = [{"class_name": "InputLayer"}]
    for h in hidden:
        layers.append({"class_name": "Dense", "units": h, "activation": "relu"})
    layers.append({"class_name": "Dense", "units": 10, "activation": "softmax"})
    return {"id": mid, "path": path, "paths": [path], "layers": layers,
            "total_params": total or sum(hidden) * 800, "input_shape": [None, 784],
            "output_shape": [None, 10]}


CNN = {"id": 9, "path": "cnn", "paths": ["cnn"], "total_params": 5000,
       "input_shape": [None, 28, 28, 1], "output_shape": [None, 10],
       "layers": [{"class_name": "Conv2D", "filters": 4, "activation": "relu"},
                  {"class_name": "Flatten"},
                  {"class_name": "Dense", "units": 10, "activation": "softmax"}]}
STARTER = mlp(-1, "ref", [16], total=12730)


def test_blocks_fold_activation_layers():
    layers = [{"class_name": "Dense", "units": 16, "activation": "linear"},
              {"class_name": "ReLU"}, {"class_name": "Dense", "units": 10},
              {"class_name": "Activation", "activation": "softmax"}]
    assert L.describe(layers) == "Dense(16, relu) → Dense(10, softmax)"


def test_root_name():
    assert root_name("models[2]") == "models"
    assert root_name("results['relu'].history") == "results"


def test_named_variable_wins_over_structure():
    models = [mlp(0, "model", [256]), mlp(1, "baseline", [16], total=12730)]
    sel = select_model(Selector(names=("baseline",), prefer="best"), models, {})
    assert sel.path == "baseline" and "variable `baseline`" in sel.reason


def test_closest_to_reference():
    models = [mlp(0, "model", [512, 256]), mlp(1, "small", [16], total=12730)]
    sel = select_model(Selector(prefer="closest", reference="starter"), models, {}, STARTER)
    assert sel.path == "small" and "most like the reference" in sel.reason


def test_best_uses_grader_measured_accuracy_and_models_in_containers():
    models = [mlp(0, "models[0]", [16]), mlp(1, "models[1]", [64]), mlp(2, "zoo['big']", [256])]
    evals = {0: {"accuracy": 0.9}, 1: {"accuracy": 0.97}, 2: {"accuracy": 0.95}}
    sel = select_model(Selector(prefer="best"), models, evals)
    assert sel.path == "models[1]" and "97.00 %" in sel.reason
    assert set(sel.candidates) == {"models[0]", "models[1]", "zoo['big']"}


def test_mlp_kind_skips_cnn_and_explains():
    sel = select_model(Selector(kind="mlp", prefer="last"), [CNN], {})
    assert sel.model_id is None
    assert "no model fits" in sel.reason and "`cnn` is not an MLP" in sel.reason
    sel = select_model(Selector(kind="mlp", prefer="last"), [CNN, mlp(0, "m", [32])], {})
    assert sel.path == "m"


def test_named_variable_that_does_not_fit_is_not_replaced_by_another():
    unbuilt = {"id": 3, "path": "model_cnn1", "paths": ["model_cnn1"], "layers": [],
               "built": False, "total_params": 0, "input_shape": None, "output_shape": None}
    sel = select_model(Selector(names=("model_cnn1",), kind="cnn", prefer="closest",
                                reference="cnn1"), [unbuilt, CNN], {}, CNN)
    assert sel.model_id is None and "`model_cnn1` was never built" in sel.reason


def test_cnn_kind_and_other_datasets():
    faces = {"id": 4, "path": "head", "paths": ["head"], "total_params": 10,
             "input_shape": [None, 4096], "output_shape": [None, 8],
             "layers": [{"class_name": "Dense", "units": 8, "activation": "softmax"}]}
    assert select_model(Selector(kind="cnn"), [mlp(0, "m", [8]), CNN], {}).path == "cnn"
    sel = select_model(Selector(dataset="faces"), [CNN, faces], {}, None,
                       Dataset("faces", 4096, 8))
    assert sel.path == "head" and "4096 inputs" in sel.looked_for


def test_nothing_found():
    sel = select_model(Selector(names=("net",)), [], {})
    assert sel.model_id is None and "`net`" in sel.looked_for


AUTOENCODER = {"id": 4, "path": "autoencoder", "paths": ["autoencoder"], "total_params": 226416,
               "input_shape": [None, 784], "output_shape": [None, 784],
               "layers": [{"class_name": "Dense", "units": u, "activation": "relu"}
                          for u in (128, 96, 128, 784)]}


def test_autoencoder_kind_takes_images_back_out_and_classifiers_do_not_fit():
    selector = Selector(kind="autoencoder", prefer="last")
    reshaped = {**AUTOENCODER, "id": 5, "path": "ae2", "paths": ["ae2"],
                "output_shape": [None, 28, 28]}  # ends in Reshape((28, 28)): 784 values too
    chosen = select_model(selector, [mlp(0, "model", [64]), AUTOENCODER, reshaped], {})
    assert chosen.model_id == 5 and "as many values back" in chosen.looked_for
    none = select_model(selector, [mlp(0, "model", [64])], {})
    assert none.model_id is None and "gives 10 outputs, not 784 and 784" in none.reason


def test_models_seen_only_through_fit_are_never_selected():
    overwritten = {**mlp(1, "fit #2.model", [500, 300]), "fit_only": True}
    chosen = select_model(Selector(prefer="last"), [mlp(0, "model", [64]), overwritten], {})
    assert chosen.model_id == 0


def test_max_edits_keeps_a_different_network_from_standing_in_for_the_reference():
    big = mlp(-2, "ref500", [500, 300], total=545_810)
    selector = Selector(kind="mlp", prefer="closest", reference="ref500", max_edits=1)
    starter = mlp(0, "model", [64, 64])
    none = select_model(selector, [starter], {}, big)
    assert none.model_id is None
    assert "more than 1 layer change(s) from Dense(500, relu)" in none.reason
    wide = mlp(1, "mlp", [500, 300])
    assert select_model(selector, [starter, wide], {}, big).model_id == 1


def test_layer_tables_side_by_side_mark_the_rows_that_differ():
    mine = mlp(0, "model", [32, 16])
    rows = L.compare(mine, STARTER)
    assert rows[0] == {"yours": "Dense(32, relu)", "reference": None, "same": False}
    assert rows[1] == {"yours": "Dense(16, relu)", "reference": "Dense(16, relu)", "same": True}
    wider = L.compare(mlp(1, "m", [64]), STARTER)[0]
    assert wider == {"yours": "Dense(64, relu)", "reference": "Dense(16, relu)", "same": False}
    assert rows[-1] == {"yours": "Dense(10, softmax)", "reference": "Dense(10, softmax)",
                        "same": True}
    assert all(r["same"] for r in L.compare(STARTER, STARTER))


def _logged(model, cell, names):
    """A model found only through its ``fit`` call (its variable was reassigned)."""
    path = f"<fit {cell}>.model"
    return model | {"fit_only": True, "path": path, "paths": [path], "fit_cell": cell,
                    "fit_names": names}


def test_a_model_overwritten_later_is_graded_from_the_fit_log():
    starter = _logged(mlp(1, "", [64, 64]), 6, ["model"])
    cnn_now = CNN | {"id": 3, "path": "model", "paths": ["model"], "fit_cell": 16}
    sel = select_model(Selector(reference="starter", prefer="closest", kind="mlp"),
                       [starter, cnn_now], {}, STARTER)
    assert sel.model_id == 1
    assert "trained in cell 6" in sel.reason and "`model` now holds" in sel.reason
    assert "cell 16" in sel.reason


def test_a_live_model_that_fits_comes_before_the_fit_log_except_for_the_best():
    live = mlp(2, "small", [16])
    better = _logged(mlp(1, "", [256]), 4, ["model"])
    ev = {1: {"accuracy": 0.98}, 2: {"accuracy": 0.90}}
    closest = select_model(Selector(reference="starter", prefer="closest", kind="mlp"),
                           [better, live], ev, STARTER)
    assert closest.model_id == 2
    best = select_model(Selector(prefer="best", kind="mlp"), [better, live], ev)
    assert best.model_id == 1 and "trained in cell 4" in best.reason


def test_the_assignments_own_name_takes_what_it_held_when_trained():
    lenet = _logged(CNN | {"id": 5}, 7, ["model"])
    now = mlp(6, "model", [32])
    sel = select_model(Selector(prefer="closest", kind="cnn", names=("model",)), [lenet, now], {})
    assert sel.model_id == 5 and "trained as `model`" in sel.reason
    alone = select_model(Selector(prefer="closest", kind="cnn", names=("model",)), [now], {})
    assert alone.model_id is None and "`model`" in alone.reason


def test_a_sweep_inside_a_function_counts_from_its_fit_calls():
    sweep = [_logged(mlp(i, "", [500, 300]), 12, ["m"]) for i in (1, 2, 3)]
    ref500 = mlp(-2, "ref", [500, 300])
    sel = select_model(Selector(reference="mlp500", prefer="closest", kind="mlp", max_edits=1),
                       sweep, {}, ref500)
    assert sel.model_id in (1, 2, 3) and "no variable holds it" in sel.reason


def test_a_lenet5_taking_padded_32_by_32_images_fits_mnist():
    lenet5 = CNN | {"id": 8, "path": "lenet", "paths": ["lenet"],
                    "input_shape": [None, 32, 32, 1]}
    assert select_model(Selector(prefer="best", kind="cnn"), [lenet5], {}).model_id == 8


def _compiled(model, loss="mean_squared_error", optimizer="Adam"):
    return model | {"loss": loss, "optimizer": {"class_name": optimizer, "learning_rate": 1e-3}}


def test_the_model_the_starter_gives_is_not_the_students_work():
    given = {"starter": _compiled(mlp(-1, "ref", [16], total=12730))}
    selector = Selector(prefer="best", exclude_given=("starter",))
    unchanged = _compiled(mlp(0, "model", [16], total=12730))
    sel = select_model(selector, [unchanged], {0: {"accuracy": 0.91}}, given=given)
    assert sel.model_id is None and sel.given == "starter"  # its figures are given code too
    assert "the model the starter gives (`starter`" in sel.reason
    assert "a model of your own" in sel.reason
    # any change of layers, loss or optimizer makes it the student's own model
    for own in (_compiled(mlp(1, "model", [512], total=407050)),
                _compiled(mlp(1, "model", [16], total=12730), loss="CategoricalCrossentropy"),
                _compiled(mlp(1, "model", [16], total=12730), optimizer="SGD")):
        sel = select_model(selector, [unchanged, own], {0: {"accuracy": 0.91},
                                                        1: {"accuracy": 0.90}}, given=given)
        assert sel.model_id == 1 and sel.given is None, own
    # trained longer than the starter trains it: the student's own
    longer = _compiled(mlp(4, "model", [16], total=12730)) | {"fit_epochs": 12}
    given_5 = {"starter": given["starter"] | {"history": {"epochs_run": 5}}}
    assert select_model(selector, [longer], {}, given=given_5).model_id == 4
    assert select_model(selector, [longer | {"fit_epochs": 5}], {},
                        given=given_5).model_id is None
    # the loss's spelling does not make a given model the student's
    respelled = _compiled(mlp(2, "model", [16], total=12730), loss="mse")
    assert select_model(selector, [respelled], {}, given=given).model_id is None


def test_a_named_variable_holding_the_given_model_is_not_graded_instead():
    given = {"example": _compiled(mlp(-1, "ref", [16], total=12730))}
    selector = Selector(names=("model",), prefer="best", exclude_given=("example",))
    models = [_compiled(mlp(0, "model", [16], total=12730)),
              _compiled(mlp(1, "other", [64], total=50890))]
    sel = select_model(selector, models, {}, given=given)
    assert sel.model_id is None and sel.reason.startswith("`model` is the model the starter gives")


def test_the_closest_is_looked_for_among_trained_models_too():
    """A sweep's last run left in `model` does not stand in for the network asked for."""
    starter = _logged(mlp(1, "", [16], total=12730), 6, ["model"])
    last_run = mlp(2, "model", [500, 300]) | {"fit_cell": 9}
    sel = select_model(Selector(reference="starter", prefer="closest", kind="mlp"),
                       [starter, last_run], {}, STARTER)
    assert sel.model_id == 1 and "trained in cell 6" in sel.reason
    twin = mlp(3, "baseline", [16], total=12730)  # as close, and live: the live one
    sel = select_model(Selector(reference="starter", prefer="closest", kind="mlp"),
                       [starter, last_run, twin], {}, STARTER)
    assert sel.model_id == 3
