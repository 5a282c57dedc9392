"""Reference implementation for ZHAW MSE MachLe, "CNN vs fully connected".

Four models, as the handout's tables give them:

- ``fc``: 784-500-50-10 with batch norm and dropout (420,260 parameters, 1,100 of
  them non-trainable), trained on the first 2,400 MNIST images.
- ``cnn1``: Conv2D(32, 3×3, same) → ReLU → Flatten → Dense(10) (251,210).
- ``cnn2``: two conv32 and two conv64 blocks with batch norm, pooling after each
  pair, Dense(200) with batch norm and dropout (695,970; 695,186 trainable).
- ``faces``: the 8-faces head on 4,096-d VGG16 fc1 features (1,805,608; 1,804,008
  trainable), trained only when the features file is supplied (``--data faces=PATH``).

MNIST models train on the first 2,400 of the first 4,000 images and validate on
the next 600, each pixel standardised with the training images' mean and
standard deviation (a standard deviation of 0 becomes 1); batch 128. Epochs come
from the profile's notebook parameters (``epochs_fc``, ``epochs_cnn1``, ...).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

MODELS = ("fc", "cnn1", "cnn2", "faces")
DEFAULT_EPOCHS = {"fc": 15, "cnn1": 6, "cnn2": 8, "faces": 10}


def subset(data: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Train/validation split of the first 4,000 images, per-pixel standardised."""
    x = data["x_train"][:4000].astype("float32").reshape(-1, 28, 28, 1)
    y = keras.utils.to_categorical(data["y_train"][:4000], 10)
    mean = x[:2400].mean(axis=0)
    std = x[:2400].std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    return x[:2400], y[:2400], x[2400:], y[2400:]


def _conv_block(model: keras.Sequential, filters: int) -> None:
    model.add(layers.Conv2D(filters, (3, 3), padding="same"))
    model.add(layers.BatchNormalization())
    model.add(layers.Activation("relu"))


def build(name: str) -> keras.Model:
    """The reference model ``name``, uncompiled."""
    if name == "fc":
        return keras.Sequential([
            keras.Input((784,)),
            layers.Dense(500), layers.BatchNormalization(), layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Dense(50), layers.BatchNormalization(), layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ], name="fc")
    if name == "cnn1":
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), padding="same"), layers.Activation("relu"),
            layers.Flatten(), layers.Dense(10), layers.Activation("softmax"),
        ], name="cnn1")
    if name == "cnn2":
        model = keras.Sequential([keras.Input((28, 28, 1))], name="cnn2")
        for filters in (32, 32):
            _conv_block(model, filters)
        model.add(layers.MaxPooling2D((2, 2)))
        for filters in (64, 64):
            _conv_block(model, filters)
        model.add(layers.MaxPooling2D((2, 2)))
        model.add(layers.Flatten())
        model.add(layers.Dense(200))
        model.add(layers.BatchNormalization())
        model.add(layers.Dropout(0.5))
        model.add(layers.Activation("relu"))
        model.add(layers.Dense(10))
        model.add(layers.Activation("softmax"))
        return model
    if name == "faces":
        return keras.Sequential([
            keras.Input((4096,)),
            layers.Dense(400), layers.BatchNormalization(), layers.Activation("relu"),
            layers.Dropout(0.5),
            layers.Dense(400), layers.BatchNormalization(), layers.Activation("relu"),
            layers.Dropout(0.5),
            layers.Dense(8), layers.Activation("softmax"),
        ], name="faces")
    raise KeyError(name)


def train(
    name: str, data: dict[str, np.ndarray], params: dict[str, object]
) -> tuple[keras.Model, keras.callbacks.History]:
    """Build, compile and train ``name`` as the course's notebooks do."""
    epochs = int(params.get(f"epochs_{name}", DEFAULT_EPOCHS[name]))  # type: ignore[call-overload]
    model = build(name)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    if name == "faces":
        y = keras.utils.to_categorical(data["y_train"], 8)
        history = model.fit(data["x_train"], y, epochs=epochs, batch_size=32,
                            validation_split=0.2, verbose=0)
        return model, history
    x_train, y_train, x_val, y_val = subset(data)
    if name == "fc":
        x_train, x_val = x_train.reshape(-1, 784), x_val.reshape(-1, 784)
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=128,
                        validation_data=(x_val, y_val), verbose=0)
    return model, history
