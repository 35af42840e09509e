"""Ten-class digits with one-hot labels trained under binary cross-entropy.

Re-created from https://ai.stackexchange.com/revisions/11311/2 (loss='binary_crossentropy'
with more than two classes: Keras reports binary accuracy, which looks high while the
categorical accuracy is what matters).
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
y_train_1h = keras.utils.to_categorical(y_train, 10)

model = keras.Sequential([
    layers.Input((64,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train_1h, epochs=8, batch_size=32, verbose=2)
pred = model.predict(x_test, verbose=0).argmax(1)
print(f"test accuracy: {np.mean(pred == y_test):.3f}")
