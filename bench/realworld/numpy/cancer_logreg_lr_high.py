"""Logistic regression written by hand with a very large learning rate: y_hat rounds to
exactly 0 or 1 and the cost becomes nan.

Re-created from https://community.deeplearning.ai/t/cost-nan/754037 ("The cost will become
NaN if your y_hat value rounds to exactly 0 or 1 ... Maybe you need to use a smaller
learning rate"). Features are standardised here; only the rate is off.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import nndoctor.numpy as nnd

x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

w = np.zeros(30)
b = np.zeros(1)
learning_rate = 200.0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(x):
    return sigmoid(x @ w + b)


def cost(a, y):
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def grads(x, y):
    dz = forward(x) - y
    return {"w": x.T @ dz / len(y), "b": np.array([dz.mean()])}


def update(x, y):
    g = grads(x, y)
    w[:] -= learning_rate * g["w"]
    b[:] -= learning_rate * g["b"]


nnd.check({"w": w, "b": b}, x_train[:32], y_train[:32], forward=forward, loss=cost,
          gradients=grads, step=update, predict=lambda x: (forward(x) > 0.5) * 1)
monitor = nnd.Monitor(params={"w": w, "b": b})
with np.errstate(all="ignore"):
    for i in range(500):
        a = forward(x_train)
        update(x_train, y_train)
        monitor.record(cost(a, y_train), output=a, y=y_train)
        if i % 100 == 0:
            print(f"iteration {i} cost {cost(a, y_train)}")
    acc = np.mean((forward(x_test) > 0.5) == y_test)
print(f"test accuracy: {acc:.3f}")
