"""Two-layer sigmoid net written by hand with every weight set to the same value (0.5).

Re-created from https://ai.stackexchange.com/questions/6170/neural-network-returns-similar-output
(a from-scratch network: "I tried ... choosing all weights and bias' values to 0.5 ...
This obviously ended up showing me all outputs with the same value").
"""

import numpy as np
from sklearn.datasets import make_moons

import nndoctor.numpy as nnd

x, y = make_moons(n_samples=400, noise=0.15, random_state=0)
y = y.reshape(-1, 1).astype(float)
x_train, y_train, x_test, y_test = x[:300], y[:300], x[300:], y[300:]

params = {
    "W1": np.full((2, 8), 0.5), "b1": np.full(8, 0.5),
    "W2": np.full((8, 1), 0.5), "b2": np.full(1, 0.5),
}
lr = 1.0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(x):
    h = sigmoid(x @ params["W1"] + params["b1"])
    return sigmoid(h @ params["W2"] + params["b2"])


def loss(out, y):
    return float(np.mean((out - y) ** 2))


def gradients(x, y):
    h = sigmoid(x @ params["W1"] + params["b1"])
    out = sigmoid(h @ params["W2"] + params["b2"])
    d_out = 2 * (out - y) / len(x) * out * (1 - out)
    d_h = d_out @ params["W2"].T * h * (1 - h)
    return {"W1": x.T @ d_h, "b1": d_h.sum(0), "W2": h.T @ d_out, "b2": d_out.sum(0)}


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= lr * grad


nnd.check(params, x_train[:32], y_train[:32], forward=forward, loss=loss,
          gradients=gradients, step=step, predict=lambda x: (forward(x) > 0.5).astype(float))
monitor = nnd.Monitor(params=params)
for i in range(2000):
    out = forward(x_train)
    step(x_train, y_train)
    monitor.record(loss(out, y_train), output=out, y=y_train)
    if i % 500 == 0:
        print(f"iter {i} loss {loss(out, y_train):.4f}")

print(f"test accuracy: {np.mean((forward(x_test) > 0.5) == y_test):.3f}")
