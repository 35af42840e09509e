"""Two-layer sigmoid MLP fed raw survey coordinates (~4.9e5, 6.7e6, 68) with raw targets.

Re-created from "Problema em código Multilayer Perceptron de duas camadas" (Stack Overflow em
Português; copy: https://huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1): the inputs are
UTM coordinates, `RuntimeWarning: overflow encountered in exp`, and the targets are
coordinates too, far outside the sigmoid's (0, 1). Here: synthetic coordinates and a
corrected easting to predict.
"""

import numpy as np

import nndoctor.numpy as nnd

rng = np.random.default_rng(1)
n = 400
east = rng.uniform(488450, 488470, n)
north = rng.uniform(6673000, 6673012, n)
height = rng.uniform(66, 69, n)
X = np.column_stack([east, north, height])
y = (east + 0.3 * (north - 6673006) - 0.5 * (height - 68) + rng.normal(0, 0.05, n)).reshape(-1, 1)
X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]

np.random.seed(1)
syn0 = 2 * np.random.random((3, 8)) - 1
syn1 = 2 * np.random.random((8, 1)) - 1
lr = 0.01


def nonlin(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def forward(x):
    return nonlin(nonlin(x @ syn0) @ syn1)


def loss(out, y):
    return float(np.mean((y - out) ** 2))


def gradients(x, y):
    l1 = nonlin(x @ syn0)
    l2 = nonlin(l1 @ syn1)
    l2_delta = -2 * (y - l2) * nonlin(l2, deriv=True) / len(x)
    l1_delta = l2_delta @ syn1.T * nonlin(l1, deriv=True)
    return {"syn0": x.T @ l1_delta, "syn1": l1.T @ l2_delta}


def step(x, y):
    g = gradients(x, y)
    syn0[:] -= lr * g["syn0"]
    syn1[:] -= lr * g["syn1"]


params = {"syn0": syn0, "syn1": syn1}
nnd.check(params, X_train[:32], y_train[:32], forward=forward, loss=loss,
          gradients=gradients, step=step)
monitor = nnd.Monitor(params=params)
for j in range(2000):
    out = forward(X_train)
    step(X_train, y_train)
    monitor.record(loss(out, y_train), output=out, y=y_train)
    if j % 500 == 0:
        print(f"Error: {np.mean(np.abs(y_train - out)):.1f}")

pred = forward(X_test)
print(f"test r2: {1 - np.mean((pred - y_test) ** 2) / np.var(y_test):.3f}")
