"""A two-layer NumPy net in the course style (samples along columns), checked with nnd.check.

Usage: numpy_zero_init.py zeros|random|nobias|saturated [check-only]
zeros: every weight matrix starts at 0, so every hidden unit computes the same
thing and gets the same gradient (here exactly 0): the net cannot learn beyond
its output bias. random: the same net with small random weights (healthy).
nobias: zero weights and no biases at all, so every gradient is exactly 0.
saturated: random weights, hidden biases at -50: every hidden tanh unit outputs
-1 for every input and passes no gradient back (a fault nndoctor has no rule for).
check-only: nnd.check on one batch, without the monitored training loop.
Biases start at 0 in the other modes, as they should.
"""

import sys

import numpy as np
from sklearn.datasets import load_breast_cancer

import nndoctor.numpy as nnd

mode = sys.argv[1] if len(sys.argv) > 1 else "zeros"
rng = np.random.default_rng(0)
data = load_breast_cancer()
order = rng.permutation(len(data.target))  # the checked batch holds both classes
X = ((data.data - data.data.mean(axis=0)) / data.data.std(axis=0))[order].T  # (30, m)
Y = data.target[order].reshape(1, -1).astype(float)  # (1, m)
n_x, n_h = X.shape[0], 8
gain = 0.0 if mode in ("zeros", "nobias") else 1.0  # LeCun: std 1/sqrt(fan_in)
params = {
    "W1": rng.standard_normal((n_h, n_x)) * gain / np.sqrt(n_x),
    "b1": np.zeros((n_h, 1)),
    "W2": rng.standard_normal((1, n_h)) * gain / np.sqrt(n_h),
    "b2": np.zeros((1, 1)),
}
if mode == "saturated":
    params["b1"] -= 50.0
if mode == "nobias":
    del params["b1"], params["b2"]
learning_rate = 0.5


def forward(x):
    z1 = params["W1"] @ x + params.get("b1", 0.0)
    a1 = np.tanh(z1)
    z2 = params["W2"] @ a1 + params.get("b2", 0.0)
    return 1 / (1 + np.exp(-z2)), a1


def cost(a2, y):
    a2 = np.clip(a2, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(a2) + (1 - y) * np.log(1 - a2)))


def gradients(x, y):
    m = x.shape[1]
    a2, a1 = forward(x)
    dz2 = a2 - y
    grads = {"W2": dz2 @ a1.T / m, "b2": dz2.sum(axis=1, keepdims=True) / m}
    dz1 = (params["W2"].T @ dz2) * (1 - a1**2)
    grads |= {"W1": dz1 @ x.T / m, "b1": dz1.sum(axis=1, keepdims=True) / m}
    return {k: v for k, v in grads.items() if k in params}


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= learning_rate * grad


def predict(x):
    return (forward(x)[0] > 0.5).astype(int)


nnd.check(
    params,
    X[:, :64],
    Y[:, :64],
    forward=lambda x: forward(x)[0],
    loss=cost,
    gradients=gradients,
    step=step,
    predict=predict,
)
if sys.argv[2:] == ["check-only"]:
    sys.exit(0)
monitor = nnd.Monitor(params=params)
for _ in range(300):
    step(X, Y)
    out = forward(X)[0]
    monitor.record(cost(out, Y), output=out, y=Y)
print(f"accuracy {np.mean(predict(X) == Y):.3f}")
