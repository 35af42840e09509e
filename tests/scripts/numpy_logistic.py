"""Breast-cancer logistic regression written by hand: check, then a monitored loop.
argv[1]: 'unguarded' (log(a) as is) or 'clipped' (a clipped to [1e-7, 1 - 1e-7]);
argv[2]: the learning rate (200 drives a to exactly 0 or 1 in float64)."""

import sys

import numpy as np
from sklearn.datasets import load_breast_cancer

import nndoctor.numpy as nnd

x, y = load_breast_cancer(return_X_y=True)
x = (x - x.mean(0)) / x.std(0)
w, b = np.zeros(30), np.zeros(1)
clip, learning_rate = sys.argv[1] == "clipped", float(sys.argv[2])


def forward(x):
    return 1 / (1 + np.exp(-(x @ w + b)))


def cost(a, y):
    a = np.clip(a, 1e-7, 1 - 1e-7) if clip else a
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def grads(x, y):
    dz = forward(x) - y
    return {"w": x.T @ dz / len(y), "b": np.array([dz.mean()])}


def step(x, y):
    g = grads(x, y)
    w[:] -= learning_rate * g["w"]
    b[:] -= learning_rate * g["b"]


nnd.check({"w": w, "b": b}, x[:32], y[:32], forward=forward, loss=cost, gradients=grads, step=step)
monitor = nnd.Monitor(params={"w": w, "b": b})
with np.errstate(all="ignore"):
    for _ in range(200):
        a = forward(x)
        step(x, y)
        monitor.record(cost(a, y), output=a, y=y)
print(f"accuracy {np.mean((forward(x) > 0.5) == y):.3f}")
