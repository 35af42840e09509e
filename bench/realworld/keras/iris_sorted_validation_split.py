"""Iris in its file order (sorted by species) fit with validation_split=0.3.

Re-created from https://github.com/keras-team/keras/issues/4298 ("validation accuracy 0.0"
with validation_split=0.10 while training accuracy climbs; the validation split is the last
samples, taken before shuffling, as the maintainers explain in
https://github.com/keras-team/keras/issues/597).
"""

import keras
from keras import layers
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
x, y = load_iris(return_X_y=True)  # rows come grouped by species
x = StandardScaler().fit_transform(x)

model = keras.Sequential([
    layers.Input((4,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, validation_split=0.3, epochs=40, batch_size=16, verbose=2)
print(f"validation accuracy: {history.history['val_accuracy'][-1]:.3f}")
