"""Digits with a NumPy softmax MLP; argv[1] == "misaligned" shuffles inputs and labels apart.

`check` gets 256 rows: its shuffled-labels control holds each row out once over
4 folds, and needs 64 held rows to decide. Without the argument it is healthy.
"""

import sys

import numpy as np
from sklearn.datasets import load_digits

import nndoctor.numpy as nnd

rng = np.random.default_rng(0)
digits = load_digits()
X = digits.data / 16.0
y = digits.target
if sys.argv[1:] == ["misaligned"]:
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
else:
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
split = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:split], y[:split], X[split:], y[split:]
Y_train = np.eye(10)[y_train]

W1 = rng.standard_normal((64, 64)) * np.sqrt(2 / 64)
b1 = np.zeros(64)
W2 = rng.standard_normal((64, 10)) * np.sqrt(1 / 64)
b2 = np.zeros(10)
params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
LR = 0.5


def forward(x):
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0)
    z = hidden @ params["W2"] + params["b2"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss(probs, Y):
    return float(-np.mean(np.sum(Y * np.log(probs + 1e-12), axis=1)))


def gradients(x, Y):
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0)
    dz = (forward(x) - Y) / len(x)
    dh = (dz @ params["W2"].T) * (hidden > 0)
    return {"W1": x.T @ dh, "b1": dh.sum(0), "W2": hidden.T @ dz, "b2": dz.sum(0)}


def step(x, Y):
    for name, g in gradients(x, Y).items():
        params[name] -= LR * g


nnd.check(
    params,
    X_train[:256],
    Y_train[:256],
    forward=forward,
    loss=loss,
    gradients=gradients,
    step=step,
    predict=lambda x: forward(x).argmax(1),
)
monitor = nnd.Monitor(params=params)
for epoch in range(10):
    for i in range(0, split, 32):
        step(X_train[i : i + 32], Y_train[i : i + 32])
        monitor.record(
            loss(forward(X_train[i : i + 32]), Y_train[i : i + 32]),
            output=forward(X_train[i : i + 32]),
            y=y_train[i : i + 32],
        )
    print(f"epoch {epoch}: test acc {np.mean(forward(X_test).argmax(1) == y_test):.3f}")
