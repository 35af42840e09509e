"""A hand-written logistic regression that never learns, checked with nnd.check.

The gradient function returns its gradient under a key that names no parameter
(and is an HTML tag, to check the HTML report escapes user strings); the step and
the loop never change the weights. Gives params-not-updated and loss-plateau.
"""

import numpy as np

import nndoctor.numpy as nnd

KEY = "<script>alert(1)</script>"
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 3))
y = (x[:, 0] > 0).astype(np.float64)
params = {"W": rng.normal(size=(3, 1)) * 0.5}


def forward(x):
    return 1.0 / (1.0 + np.exp(-(x @ params["W"])))


def loss(out, y):
    p = out[:, 0]
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradients(x, y):
    return {KEY: x.T @ (forward(x)[:, 0] - y)[:, None] / len(y)}


def step(x, y):
    grads = gradients(x, y)
    if "W" in grads:
        params["W"] -= 0.1 * grads["W"]


nnd.check(params, x, y, forward=forward, loss=loss, gradients=gradients, step=step)
monitor = nnd.Monitor(params=params)
for _ in range(30):
    step(x, y)
    monitor.record(loss(forward(x), y))
