"""Iris class ids under categorical_crossentropy: fit raises (labels-not-encoded).

105 training rows: the fix trial holds out 26, too few for an accuracy gain to
clear its margin (0.196) in 200 steps; the held cross-entropy shows the fix.
"""

import keras
from keras import layers
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(0)
iris = load_iris()
x, _, y, _ = train_test_split(
    iris.data, iris.target, test_size=0.3, random_state=0, stratify=iris.target
)
x = StandardScaler().fit_transform(x)
model = keras.Sequential(
    [
        layers.Input((4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, batch_size=16, epochs=2, verbose=0)
