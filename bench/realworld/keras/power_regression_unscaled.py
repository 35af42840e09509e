"""Fitting y = x**4 for x in [-100, 100] with raw inputs and raw targets (up to 1e8).

Re-created from "Why do I fail to predict y=x**4 with keras?" (Stack Overflow 52800582,
mirror: http://stackoverflow.com.mevn.net/questions/52800582/why-do-i-fail-to-predict-y-x4-with-keras-y-x3-works):
the inputs saturate the sigmoid layer and the outputs are far beyond what the
initial weights can produce; the answer scales both.
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.uniform(-100, 100, size=(1000, 1))
y = x ** 4
x_test = rng.uniform(-100, 100, size=(200, 1))
y_test = x_test ** 4

model = keras.Sequential([
    layers.Input((1,)),
    layers.Dense(58, activation="sigmoid"),
    layers.Dense(58, activation="elu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=10, batch_size=32, verbose=2)
pred = model.predict(x_test, verbose=0)
r2 = 1 - np.mean((pred - y_test) ** 2) / np.var(y_test)
print(f"test r2: {r2:.3f}")
