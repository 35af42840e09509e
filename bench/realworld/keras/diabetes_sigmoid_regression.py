"""Regression model with a sigmoid output on targets in 25..346.

Re-created from https://github.com/jsyoon0823/Time-series-prediction/issues/3 ("the model only
takes the output label in the range of [0, 1], since the outputs is coming from the sigmoid";
maintainer: "Normalization (with MinMax) is necessary").
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = load_diabetes(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = keras.Sequential([
    layers.Input((10,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=2)
pred = model.predict(x_test, verbose=0).ravel()
r2 = 1 - np.mean((pred - y_test) ** 2) / np.var(y_test)
print(f"test r2: {r2:.3f}")
