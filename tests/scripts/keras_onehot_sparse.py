"""One-hot labels with sparse_categorical_crossentropy: fit raises (labels-not-encoded)."""

import keras
from keras import layers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data[:600] / 16.0).astype("float32")
y = keras.utils.to_categorical(digits.target[:600], 10)
model = keras.Sequential(
    [
        layers.Input((64,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, batch_size=32, epochs=2, verbose=0)
