"""Regression on the Friedman #1 benchmark function."""

import keras
from keras import layers
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
x, y = make_friedman1(n_samples=2000, noise=0.5, random_state=0)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)

model = keras.Sequential([
    layers.Input((10,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=2)
loss, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {loss:.4f}  test mae {mae:.4f}")
