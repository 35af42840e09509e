"""Binary task (is the digit odd?) with Dense(1, softmax) and categorical cross-entropy.

Re-created from https://stats.stackexchange.com/questions/481881 ("Convolutional neural
network fails even when given answer": Dense(1, activation='softmax') with
loss='categorical_crossentropy' predicts true for everything).
"""

import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
x, digit = load_digits(return_X_y=True)
y = (digit % 2).astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)

model = keras.Sequential([
    layers.Input((64,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
