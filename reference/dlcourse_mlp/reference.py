"""Reference implementation for the DL course MLP assignment (Session 2, forum 1).

``starter`` is the course's starter model exactly as handed out: Input(784) ->
Dense(hidden_size=16) -> ReLU -> Dense(10) -> Softmax, Adam, mean squared error
on one-hot labels, 5 epochs, batch 100, validation_split 0.2.
``improved`` is what the handout asks students to reach (~98 %): two hidden
layers of 256 and 128 ReLU units with categorical cross-entropy, 10 epochs.

The grader calls ``train(name, data, params)`` with MNIST as the students'
kernels see it under the profile being built, and measures the returned model
itself; ``build(name)`` gives the untrained model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras.layers import Dense, Input, ReLU, Softmax
from keras.models import Model

MODELS = ("starter", "improved")


def _prepare(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    x = data["x_train"].reshape(-1, 784).astype("float32") / 255.0
    y = keras.utils.to_categorical(data["y_train"], 10)
    return x, y


def build(name: str) -> Model:
    """The reference model ``name``, uncompiled."""
    inputs = Input(shape=(784,))
    if name == "starter":
        x = ReLU()(Dense(16)(inputs))
    elif name == "improved":
        x = ReLU()(Dense(256)(inputs))
        x = ReLU()(Dense(128)(x))
    else:
        raise KeyError(name)
    outputs = Softmax()(Dense(10)(x))
    return Model(inputs=inputs, outputs=outputs, name=name)


def train(
    name: str, data: dict[str, np.ndarray], params: dict[str, object]
) -> tuple[Model, keras.callbacks.History]:
    """Build, compile and train the reference model ``name`` as its notebook would.

    ``params`` are the profile's notebook parameters (this pack's profiles set none).
    """
    x, y = _prepare(data)
    model = build(name)
    if name == "starter":
        model.compile(optimizer="adam", loss="mean_squared_error", metrics=["accuracy"])
        history = model.fit(x, y, epochs=5, batch_size=100, validation_split=0.2, verbose=0)
    else:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=10, batch_size=128, validation_split=0.2, verbose=0)
    return model, history
