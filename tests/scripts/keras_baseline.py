"""A small seeded Keras classifier with a validation split; argv chooses the fault.

    python keras_baseline.py [noise|imbalanced|shuffled|sorted|digits]

noise:      80/20 labels that do not depend on the inputs: nothing beats the majority class.
imbalanced: 80/20 labels that depend on the inputs: learned (healthy).
shuffled:   digits whose inputs were shuffled apart from their labels: the model
            memorises its training rows while validation stays at chance.
sorted:     digits sorted by label: validation_split holds out the last rows, mostly
            8s and 9s the model barely trains on.
digits:     digits, correctly prepared (healthy).
"""

import sys

import keras
import numpy as np
from sklearn.datasets import load_digits

mode = sys.argv[1] if len(sys.argv) > 1 else "digits"
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
if mode in ("noise", "imbalanced"):
    x = rng.normal(size=(800, 10)).astype("float32")
    score = x[:, 0] + 0.5 * x[:, 1] * x[:, 2]
    y = (score > np.quantile(score, 0.8)).astype("int64")
    if mode == "noise":
        y = rng.permutation(y)
    classes, epochs, units = 2, 8, 16
else:
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    if mode == "shuffled":
        x = x[rng.permutation(len(x))]  # y is not shuffled with it
    if mode == "sorted":
        order = np.argsort(y, kind="stable")
        x, y = x[order], y[order]
    classes, epochs, units = 10, 25 if mode == "shuffled" else 8, 256
model = keras.Sequential(
    [
        keras.Input((x.shape[1],)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x, y, batch_size=32, epochs=epochs, validation_split=0.2, verbose=2)
