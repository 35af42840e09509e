"""A healthy Keras run during which nndoctor's measurement raises: training must go on."""

import keras
from keras import layers
from sklearn.datasets import load_digits

import nndoctor.probes.keras as probe


def broken(*args, **kwargs):
    raise RuntimeError("measurement broken on purpose")


probe._Measure.run = broken

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
model = keras.Sequential(
    [
        layers.Input((64,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, digits.target, batch_size=32, epochs=4, verbose=0)
print(f"final accuracy {history.history['accuracy'][-1]:.4f}")
