"""Digits with a Keras MLP; argv[1] == "misaligned" shuffles inputs and labels apart.

Keras's own validation history shows the fault: accuracy climbs, val_accuracy
stays at chance. Without the argument the same script is healthy.
"""

import sys

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
y = digits.target
if sys.argv[1:] == ["misaligned"]:
    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]

model = keras.Sequential(
    [
        layers.Input((64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=6, validation_split=0.2, verbose=2)
