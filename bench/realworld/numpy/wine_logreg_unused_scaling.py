"""Logistic regression written by hand: min-max scaled features are computed, then the raw
ones are used, with every weight starting at 1: divide by zero in log, cost nan.

Re-created from "Logistic regression cost function returning nan" (Stack Overflow, copy:
https://example-a.com/answer/64676510): `minmax_normal_trainset = ...` is computed but
`X = trainingset.values` takes the raw data; theta starts as all ones. Here: wine
(class 0 against the rest), whose proline feature reaches 1680.
"""

import numpy as np
from sklearn.datasets import load_wine

import nndoctor.numpy as nnd

data, target = load_wine(return_X_y=True)
y = (target == 0).astype(float)
rng = np.random.default_rng(0)
order = rng.permutation(len(y))
data, y = data[order], y[order]

minmax_normal_trainset = (data - data.min(0)) / (data.max(0) - data.min(0))
X = data  # the raw values, not the normalised copy
X_train, y_train, X_test, y_test = X[:130], y[:130], X[130:], y[130:]

theta = np.ones(13)
lr = 0.01


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def predict(x):
    return sigmoid(x @ theta)


def cost(preds, y):
    errors = (-y * np.log(preds)) - ((1 - y) * np.log(1 - preds))
    return float(np.mean(errors))


def gradient(x, y):
    return {"theta": x.T @ (predict(x) - y) / len(y)}


def step(x, y):
    theta[:] -= lr * gradient(x, y)["theta"]


nnd.check({"theta": theta}, X_train[:32], y_train[:32], forward=predict, loss=cost,
          gradients=gradient, step=step, predict=lambda x: (predict(x) > 0.5) * 1.0)
monitor = nnd.Monitor(params={"theta": theta})
with np.errstate(all="ignore"):
    for i in range(500):
        p = predict(X_train)
        step(X_train, y_train)
        monitor.record(cost(p, y_train), output=p, y=y_train)
        if i % 100 == 0:
            print(f"iteration {i} cost {cost(p, y_train)}")
    acc = np.mean((predict(X_test) > 0.5) == y_test)
print(f"test accuracy: {acc:.3f}")
