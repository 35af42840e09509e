"""Entry-point parity (issue 15): one Keras training, diagnosed through `DiagnosisCallback`.

Run plain (`python parity_keras.py CASE OUT.json SECONDS`) the callback's report() runs the
experiments and fix trials and is written to OUT.json; under `nndoctor run` the
callback joins the run and the CLI's engine runs them. Cases: lr_high,
missing_softmax, healthy.
"""

import json
import sys

import keras
from keras import layers
from sklearn.datasets import load_digits

from nndoctor.keras import DiagnosisCallback

case = sys.argv[1]
# The budget of each experiment and fix trial; under `nndoctor run`, --trial-seconds.
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")
y = keras.utils.to_categorical(digits.target, 10)
head = None if case == "missing_softmax" else "softmax"
model = keras.Sequential(
    [layers.Input((64,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation=head)]
)
rate = {"lr_high": 50.0}.get(case, 0.1)  # issue 15's example: SGD at lr 50
model.compile(
    optimizer=keras.optimizers.SGD(rate), loss="categorical_crossentropy", metrics=["accuracy"]
)
doctor = DiagnosisCallback()
model.fit(x, y, batch_size=64, epochs=3, verbose=0, callbacks=[doctor])
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        json.dump(doctor.report(trial_seconds=seconds).to_json(), out)
