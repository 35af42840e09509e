"""Breast-cancer classifier: Dense(1, sigmoid) compiled with categorical cross-entropy.

Re-created from https://github.com/keras-team/keras/issues/14729 ("too low accuracy":
layers.Dense(1, activation="sigmoid") with loss=keras.losses.categorical_crossentropy
on a binary label).
"""

import keras
from keras import layers
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = keras.Sequential([
    layers.Input((30,)),
    layers.Dense(16, activation="relu", kernel_initializer="uniform"),
    layers.Dropout(0.1),
    layers.Dense(16, activation="relu", kernel_initializer="uniform"),
    layers.Dropout(0.1),
    layers.Dense(1, activation="sigmoid", kernel_initializer="uniform"),
])
model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.categorical_crossentropy,
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, epochs=15, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
