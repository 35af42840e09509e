"""One Dense unit fitting y = 2x for x in 0..199 with SGD, batch size 1: the weights go NaN.

Re-created from https://github.com/keras-team/keras/issues/3040 ("Simple Linear Regression
Nan's after a few iterations" - "realized my learning rate was too high").
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(0)
x = 1.0 * np.arange(200).reshape(-1, 1)
y = 2.0 * x

model = keras.Sequential([layers.Input((1,)), layers.Dense(1)])
model.compile(loss="mean_squared_error", optimizer=keras.optimizers.SGD(learning_rate=0.001))
model.fit(x, y, epochs=2, batch_size=1, verbose=2)
pred = model.predict(x, verbose=0)
r2 = 1 - np.mean((pred - y) ** 2) / np.var(y)
print(f"final mse {np.mean((pred - y) ** 2):.4g}, r2 {r2:.3f}")
