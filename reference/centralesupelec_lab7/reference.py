"""Reference implementation for CentraleSupélec 2EL1730, Lab 7 (CNN for digit recognition).

``lenet`` is LeNet as the handout draws it, with two convolutional and two fully
connected layers and tanh as in the original paper: Conv2D(6, 5×5, same) →
MaxPooling2D → Conv2D(16, 5×5) → MaxPooling2D → Flatten → Dense(120) → Dense(10,
softmax); 51,902 parameters. Inputs are scaled to [0, 1]; Adam, categorical
cross-entropy, batch 128, 10 % of the training images for validation. Epochs come
from the profile's ``epochs`` parameter (10 by default).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

MODELS = ("lenet",)


def build(name: str, activation: str = "tanh", dropout: float = 0.0) -> keras.Model:
    """LeNet with the given activation, and Dropout after each block when ``dropout`` > 0."""
    if name != "lenet":
        raise KeyError(name)
    extra = [layers.Dropout(dropout)] if dropout else []
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(6, (5, 5), padding="same", activation=activation),
        layers.MaxPooling2D((2, 2)), *extra,
        layers.Conv2D(16, (5, 5), activation=activation),
        layers.MaxPooling2D((2, 2)), *extra,
        layers.Flatten(),
        layers.Dense(120, activation=activation), *extra,
        layers.Dense(10, activation="softmax"),
    ], name=name)


def train(
    name: str, data: dict[str, np.ndarray], params: dict[str, object]
) -> tuple[keras.Model, keras.callbacks.History]:
    """Train ``name`` as the lab's notebook does."""
    x = data["x_train"].reshape(-1, 28, 28, 1).astype("float32") / 255.0
    y = keras.utils.to_categorical(data["y_train"], 10)
    model = build(name)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=int(params.get("epochs", 10)),  # type: ignore[call-overload]
                        batch_size=128, validation_split=0.1, verbose=0)
    return model, history
