"""Healthy control: the digits network of digits_zeros_sigmoid.py with small random weights.

The fix given for the zero-initialisation exercise in *Programming Machine Learning*
(https://trantor.is/content/0zCVJ-5BSP1ixHxV/f_0076.xhtml) and in the course notes
https://stomioka.github.io/deeplearning/docs/018-random-initialization.html.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
Y_train = np.eye(10)[y_train]

rng = np.random.default_rng(0)
n_hidden = 32
w1 = rng.normal(0, np.sqrt(1 / 64), (64, n_hidden))
w2 = rng.normal(0, np.sqrt(1 / n_hidden), (n_hidden, 10))
lr = 0.5


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(x):
    return softmax(sigmoid(x @ w1) @ w2)


def loss(out, y):
    return float(-np.mean(np.sum(y * np.log(out + 1e-12), axis=1)))


def gradients(x, y):
    h = sigmoid(x @ w1)
    d_out = (softmax(h @ w2) - y) / len(x)
    d_h = d_out @ w2.T * h * (1 - h)
    return {"w1": x.T @ d_h, "w2": h.T @ d_out}


def step(x, y):
    g = gradients(x, y)
    w1[:] -= lr * g["w1"]
    w2[:] -= lr * g["w2"]


params = {"w1": w1, "w2": w2}
nnd.check(params, x_train[:32], Y_train[:32], forward=forward, loss=loss,
          gradients=gradients, step=step, predict=lambda x: forward(x).argmax(1))
monitor = nnd.Monitor(params=params)
for i in range(300):
    out = forward(x_train)
    step(x_train, Y_train)
    monitor.record(loss(out, Y_train), output=out, y=y_train)
    if i % 50 == 0:
        print(f"iter {i} loss {loss(out, Y_train):.4f}")

print(f"test accuracy: {np.mean(forward(x_test).argmax(1) == y_test):.3f}")
