"""Binary classifier on raw breast-cancer features (areas in the thousands), not normalised.

Re-created from https://52sbl.cn/discussion/118482.html (a Data Science Stack Exchange
question: many sigmoid outputs are exactly 0 or 1; "the problem is that I forgot to
normalize the data").
"""

import keras
from keras import layers
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)

model = keras.Sequential([
    layers.Input((30,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, validation_data=(x_test, y_test), verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
