"""Binary classifier ending in Dense(1) + softmax under binary cross-entropy: always predicts 1.

Re-created from "Why does a binary Keras CNN always predict 1?" (Stack Overflow, mirror:
https://techfeed.net/es/456718/): `model.add(Dense(1)); model.add(Activation('softmax'))`
with loss='binary_crossentropy'; the confusion matrix shows every test sample as class 1.
"""

import keras
from keras import layers
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = keras.Sequential([
    layers.Input((30,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
    layers.Activation("softmax"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
