"""2-2-1 sigmoid net written by hand whose hidden delta uses the output error directly.

Re-created from "Backpropagation: Why doesn't error approach zero when it is multiplied by
deriv of sigmoid?" (Stack Overflow, mirror:
https://whosebug.com/question/2948401/Backpropagation-Why-doesn-t-error-approach-zero-when-it-is-multiplied-by-deriv-of-sigmoid):
`delta_hidden = error * sigmoid(hidden, True)` where it should be `hidden_error * ...`.
"""

import numpy as np
from sklearn.datasets import make_blobs

import nndoctor.numpy as nnd

x, y = make_blobs(n_samples=300, centers=[[-1, 1], [1, -1]], cluster_std=0.8, random_state=1)
y = y.reshape(-1, 1).astype(float)
x_train, y_train, x_test, y_test = x[:200], y[:200], x[200:], y[200:]

np.random.seed(1)
params = {"w_0": 2 * np.random.rand(2, 2) - 1, "w_1": 2 * np.random.rand(2, 1) - 1}
lr = 0.5


def sigmoid(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def forward(x):
    return sigmoid(sigmoid(x @ params["w_0"]) @ params["w_1"])


def loss(out, y):
    return float(np.mean((y - out) ** 2) / 2)


def gradients(x, y):
    hidden = sigmoid(x @ params["w_0"])
    output = sigmoid(hidden @ params["w_1"])
    error = y - output
    delta = error * sigmoid(output, True)
    hidden_error = delta @ params["w_1"].T  # noqa: F841 - computed, then not used (the bug)
    delta_hidden = error * sigmoid(hidden, True)
    return {"w_1": -hidden.T @ delta / len(x), "w_0": -x.T @ delta_hidden / len(x)}


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= lr * grad


nnd.check(params, x_train[:32], y_train[:32], forward=forward, loss=loss,
          gradients=gradients, step=step, predict=lambda x: (forward(x) > 0.5).astype(float))
monitor = nnd.Monitor(params=params)
for i in range(3000):
    out = forward(x_train)
    step(x_train, y_train)
    monitor.record(loss(out, y_train), output=out, y=y_train)
    if i % 1000 == 0:
        print(f"iter {i} error {np.mean(np.abs(y_train - out)):.4f}")

print(f"test accuracy: {np.mean((forward(x_test) > 0.5) == y_test):.3f}")
