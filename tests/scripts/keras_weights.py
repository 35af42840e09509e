"""Keras training from a fixed seed with dropout, shuffling and a validation split.

Saves the final weights, the weights of a layer built after training and the
next draws of Python's and NumPy's global RNGs to argv[1] (.npz): a run under
nndoctor must give the same numbers bit for bit.
"""

import random
import sys

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
model = keras.Sequential(
    [
        layers.Input((64,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, digits.target, batch_size=32, epochs=3, validation_split=0.1, verbose=0)
later = layers.Dense(4)
later.build((None, 3))
np.savez(
    sys.argv[1],
    *model.get_weights(),
    *later.get_weights(),
    np.array([random.random()]),
    np.random.rand(3),
)
print("saved")
