"""Logistic regression written by hand on the raw breast-cancer features: the cost is nan.

Re-created from https://community.deeplearning.ai/t/cost-at-test-w-b-nan-trying-to-apply-breast-cancer-dataset/258354
(the course's logistic regression applied to the breast cancer data; small random initial
weights, the cost prints nan: log(0) once the sigmoid saturates on unscaled features).
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)

np.random.seed(1)
w = 0.01 * (np.random.rand(30) - 0.5)
b = np.zeros(1)
alpha = 0.001


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def predict_proba(x):
    return sigmoid(x @ w + b)


def compute_cost(f, y):
    return float(-np.mean(y * np.log(f) + (1 - y) * np.log(1 - f)))


def compute_gradient(x, y):
    err = predict_proba(x) - y
    return {"w": x.T @ err / len(y), "b": np.array([err.mean()])}


def step(x, y):
    g = compute_gradient(x, y)
    w[:] -= alpha * g["w"]
    b[:] -= alpha * g["b"]


params = {"w": w, "b": b}
nnd.check(params, x_train[:32], y_train[:32], forward=predict_proba, loss=compute_cost,
          gradients=compute_gradient, step=step, predict=lambda x: (predict_proba(x) > 0.5) * 1)
monitor = nnd.Monitor(params=params)
with np.errstate(all="ignore"):
    for i in range(1000):
        f = predict_proba(x_train)
        step(x_train, y_train)
        monitor.record(compute_cost(f, y_train), output=f, y=y_train)
        if i % 200 == 0:
            print(f"iteration {i} cost {compute_cost(f, y_train)}")
    acc = np.mean((predict_proba(x_test) > 0.5) == y_test)
print(f"test accuracy: {acc:.3f}")
