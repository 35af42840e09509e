"""A softmax output under from_logits=True (double-softmax): on TensorFlow Keras reads
the softmax's own logits, so the fixed and unfixed copies would train the same."""

import keras
from keras import layers
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
iris = load_iris()
x = StandardScaler().fit_transform(iris.data)
y = keras.utils.to_categorical(iris.target, 3)
model = keras.Sequential(
    [
        layers.Input((4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=16, epochs=2, shuffle=True, verbose=0)
