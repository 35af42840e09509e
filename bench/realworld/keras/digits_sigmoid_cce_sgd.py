"""Digits with a sigmoid output layer under categorical cross-entropy, SGD at lr 1.0.

Re-created from https://github.com/keras-team/keras/issues/2711 (comment of 2017-03-24:
Dense(vocab_size, activation="sigmoid"), loss="categorical_crossentropy", SGD(lr=1.0);
accuracy stays at 0.1327 whatever is tried).
"""

import keras
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
y_train_1h = keras.utils.to_categorical(y_train, 10)
y_test_1h = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential([
    layers.Input((64,)),
    layers.Dense(32, activation="sigmoid"),
    layers.Dense(10, activation="sigmoid"),
])
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=1.0),
              metrics=["accuracy"])
model.fit(x_train, y_train_1h, epochs=10, batch_size=300, validation_split=0.1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test_1h, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
