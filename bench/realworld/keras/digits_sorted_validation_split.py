"""Digits sorted by class, fit with validation_split=0.2: the validation set is classes 8 and 9.

Re-created from https://github.com/keras-team/keras/issues/8346 ("splitting 20% of data for
validation takes the last 20% of the data which is in this case the whole class 5";
validation accuracy zero; fixed by shuffling the data before fit()).
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
order = np.argsort(y, kind="stable")  # the data as it came: grouped by class
x, y = x[order] / 16.0, y[order]

model = keras.Sequential([
    layers.Input((64,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, validation_split=0.2, epochs=10, batch_size=32, verbose=2)
print(f"validation accuracy: {history.history['val_accuracy'][-1]:.3f}")
