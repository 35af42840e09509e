"""Digits: a network that reads the image and outputs the digit."""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.2,
                                                    random_state=0)

model = keras.Sequential([
    layers.Input((64,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, batch_size=32, epochs=8, verbose=2)
predicted = np.clip(np.round(model.predict(x_test, verbose=0)[:, 0]), 0, 9)
print(f"test accuracy {np.mean(predicted == y_test):.4f}")
