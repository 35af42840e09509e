"""Flags fraudulent transactions: 1 in 20 is fraud."""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = make_classification(n_samples=3000, n_features=12, n_informative=6, weights=[0.95],
                           class_sep=2.0, random_state=0)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0,
                                                    stratify=y)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = keras.Sequential([
    layers.Input((12,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall")])
model.fit(x_train, y_train, batch_size=64, epochs=10, verbose=2)
loss, accuracy, recall = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {accuracy:.4f}  fraud recall {recall:.4f}")
print(f"share of fraud in the test set: {np.mean(y_test):.3f}")
