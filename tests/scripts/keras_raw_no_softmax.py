"""Two faults that hide each other's fix: raw 0-255 pixels and no softmax under
categorical_crossentropy (missing-output-activation, inputs-not-normalized)."""

import keras
from keras import layers
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data[:600] * 16.0).astype("float32")  # 0-255 like raw pixels
y = keras.utils.to_categorical(digits.target[:600], 10)
model = keras.Sequential(
    [
        layers.Input((64,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
model.fit(x, y, batch_size=32, epochs=2, verbose=0)
