"""Reference implementation for Chalmers DAT405, Assignment 7 (neural networks with Keras).

As in the course's notebook: images scaled to [0, 1], one-hot labels, the test split
used for validation.

- ``starter``: Flatten → Dense(64, relu) → Dense(64, relu) → Dense(10, softmax), 55,050
  parameters; SGD with learning rate 0.1, categorical cross-entropy, batch 128,
  ``epochs`` epochs (10).
- ``mlp500``: the 500/300 network of question 2D, 545,810 parameters, trained like the
  starter for ``epochs_mlp`` epochs (40 in the handout), without weight decay.
- ``cnn``: Conv2D(32, 3×3) → MaxPool → Conv2D(64, 3×3) → MaxPool → Flatten →
  Dropout(0.5) → Dense(10, softmax) (Keras' MNIST example, 34,826 parameters); Adam,
  batch 128, ``epochs_cnn`` epochs.
- ``autoencoder``: 784 → Dense(128, relu) → Dense(96, relu) → Dense(128, relu) →
  Dense(784, sigmoid), 226,416 parameters; Adam, binary cross-entropy, batch 64,
  ``epochs_ae`` epochs (32), noisy inputs (salt and pepper, level 0.4) against clean targets.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

MODELS = ("starter", "mlp500", "cnn", "autoencoder")
TRAIN_NOISE = 0.4


def salt_and_pepper(x: np.ndarray, noise_level: float, rng: np.random.Generator) -> np.ndarray:
    """The course's noise: keep a pixel with probability 1 - level, else black or white."""
    keep = rng.binomial(1, 1 - noise_level, size=x.shape)
    salt = rng.binomial(1, 0.5, size=x.shape)
    return (x * keep + (keep == 0) * salt).astype("float32")


def _mlp(name: str, hidden: tuple[int, ...]) -> keras.Model:
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Flatten(),
        *(layers.Dense(n, activation="relu") for n in hidden),
        layers.Dense(10, activation="softmax"),
    ], name=name)


def build(name: str) -> keras.Model:
    """The reference model ``name``, uncompiled."""
    if name == "starter":
        return _mlp(name, (64, 64))
    if name == "mlp500":
        return _mlp(name, (500, 300))
    if name == "cnn":
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ], name=name)
    if name == "autoencoder":
        image = keras.Input((784,))
        code = layers.Dense(96, activation="relu")(layers.Dense(128, activation="relu")(image))
        out = layers.Dense(784, activation="sigmoid")(layers.Dense(128, activation="relu")(code))
        return keras.Model(image, out, name=name)
    raise KeyError(name)


def train(
    name: str, data: dict[str, np.ndarray], params: dict[str, object]
) -> tuple[keras.Model, keras.callbacks.History]:
    """Train ``name`` as the course's notebook does; epochs come from ``params``."""
    x = data["x_train"].reshape(-1, 28, 28, 1).astype("float32") / 255.0
    x_test = data["x_test"].reshape(-1, 28, 28, 1).astype("float32") / 255.0
    model = build(name)
    if name == "autoencoder":
        rng = np.random.default_rng(int(keras.random.randint((), 0, 2**30)))
        flat, flat_test = x.reshape(-1, 784), x_test.reshape(-1, 784)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        history = model.fit(salt_and_pepper(flat, TRAIN_NOISE, rng), flat,
                            epochs=int(params.get("epochs_ae", 32)),  # type: ignore[call-overload]
                            batch_size=64, shuffle=True, verbose=0,
                            validation_data=(salt_and_pepper(flat_test, TRAIN_NOISE, rng),
                                             flat_test))
        return model, history
    y = keras.utils.to_categorical(data["y_train"], 10)
    y_test = keras.utils.to_categorical(data["y_test"], 10)
    if name == "cnn":
        optimizer: keras.optimizers.Optimizer = keras.optimizers.Adam()
        epochs, batch = int(params.get("epochs_cnn", 10)), 128  # type: ignore[call-overload]
    else:
        optimizer = keras.optimizers.SGD(learning_rate=0.1)
        key = "epochs" if name == "starter" else "epochs_mlp"
        epochs, batch = int(params.get(key, 10 if name == "starter" else 40)), 128  # type: ignore[call-overload]
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0,
                        validation_data=(x_test, y_test))
    return model, history
