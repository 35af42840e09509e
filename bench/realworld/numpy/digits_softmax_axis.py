"""Digits network written by hand whose softmax sums over the batch instead of the classes.

Re-created from "MNIST NN from scratch, output converge on one number" (Stack Overflow
76450489, copy: https://wiki.kunaldawn.com/content/stackoverflow.com_en_all_2023-11/questions/76450489/mnist-nn-from-scratch-output-converge-on-one-number):
`a2 = np.exp(z) / sum(np.exp(z))` normalises each column over the m samples, while the
backward pass `a2 - y_hat` assumes a per-sample softmax; accuracy falls and every
prediction converges on one number, with overflow warnings.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
m = len(x_train)

np.random.seed(0)
params = {
    "w1": np.random.rand(64, 20) - 0.5, "b1": np.random.rand(1, 20) - 0.5,
    "w2": np.random.rand(20, 10) - 0.5, "b2": np.random.rand(1, 10) - 0.5,
}
alpha = 0.5


def softmax(z):
    return np.exp(z) / sum(np.exp(z))


def forward(x):
    a1 = np.maximum(x @ params["w1"] + params["b1"], 0)
    return softmax(a1 @ params["w2"] + params["b2"])


def one_hot(y):
    out = np.zeros((y.size, 10))
    out[np.arange(y.size), y] = 1
    return out


def loss(a2, y):
    return float(-np.mean(np.sum(one_hot(y) * np.log(a2 + 1e-12), axis=1)))


def gradients(x, y):
    z1 = x @ params["w1"] + params["b1"]
    a1 = np.maximum(z1, 0)
    a2 = softmax(a1 @ params["w2"] + params["b2"])
    dz2 = a2 - one_hot(y)
    n = len(x)
    dz1 = (params["w2"].dot(dz2.T)).T * (z1 > 0)
    return {"w2": a1.T @ dz2 / n, "b2": dz2.sum(0, keepdims=True) / n,
            "w1": x.T @ dz1 / n, "b1": dz1.sum(0, keepdims=True) / n}


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= alpha * grad


nnd.check(params, x_train[:32], y_train[:32], forward=forward, loss=loss,
          gradients=gradients, step=step, predict=lambda x: forward(x).argmax(1))
monitor = nnd.Monitor(params=params)
for i in range(300):
    a2 = forward(x_train)
    step(x_train, y_train)
    monitor.record(loss(a2, y_train), output=a2, y=y_train)
    if i % 50 == 0:
        print(f"iteration {i} accuracy {np.mean(a2.argmax(1) == y_train):.3f}")

print(f"test accuracy: {np.mean(forward(x_test).argmax(1) == y_test):.3f}")
