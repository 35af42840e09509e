"""DiagnosisCallback in a plain `python` run, as in a notebook; prints what it found as JSON."""

import json

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from sklearn.datasets import load_digits

from nndoctor.keras import DiagnosisCallback

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
y = keras.utils.to_categorical(digits.target, 10)


def model():
    net = keras.Sequential(
        [layers.Input((64,)), layers.Dense(32, activation="relu"), layers.Dense(10)]
    )
    net.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return net


arrays = DiagnosisCallback()
model().fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[arrays])
pixels = x * 255
pipeline = tf.data.Dataset.from_tensor_slices((pixels, y)).shuffle(512).batch(32)
given = DiagnosisCallback(sample=(pixels[:256], y[:256]))
model().fit(pipeline, epochs=2, verbose=0, callbacks=[given])
report = arrays.report()
print(
    json.dumps(
        {
            "arrays": report.ids,
            "html": len(report._repr_html_()),
            "framework": report.framework,
            "pipeline": given.report().ids,
            "steps": len(report.observations.trace),
            "accuracy": float(np.mean(report.observations.trace[-1].metric or 0)),
        }
    )
)
