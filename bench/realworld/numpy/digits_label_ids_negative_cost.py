"""Digits network written by hand that uses the class ids (0..9) as targets of a sigmoid
cross-entropy over 10 outputs: the cost goes negative and it predicts one class.

Re-created from https://math.techqa.club/neural-network-predicts-one-class-only-3808435
("What does negative cost indicate? Why is my model only predicting one class?").
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
Y_train = y_train.reshape(-1, 1).astype(float)  # the class id, not a one-hot row

rng = np.random.default_rng(0)
params = {
    "T1": rng.normal(0, np.sqrt(1 / 64), (64, 10)), "b1": np.zeros(10),
    "T2": rng.normal(0, np.sqrt(1 / 10), (10, 10)), "b2": np.zeros(10),
}
lr = 0.1


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(x):
    a1 = sigmoid(x @ params["T1"] + params["b1"])
    return sigmoid(a1 @ params["T2"] + params["b2"])


def cost(h, y):
    h = np.clip(h, 1e-12, 1 - 1e-12)
    return float(-np.mean(np.sum(y * np.log(h) + (1 - y) * np.log(1 - h), axis=1)))


def gradients(x, y):
    a1 = sigmoid(x @ params["T1"] + params["b1"])
    a2 = sigmoid(a1 @ params["T2"] + params["b2"])
    d2 = (a2 - y) / len(x)
    d1 = d2 @ params["T2"].T * a1 * (1 - a1)
    return {"T1": x.T @ d1, "b1": d1.sum(0), "T2": a1.T @ d2, "b2": d2.sum(0)}


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= lr * grad


nnd.check(params, x_train[:32], Y_train[:32], forward=forward, loss=cost,
          gradients=gradients, step=step, predict=lambda x: forward(x).argmax(1))
monitor = nnd.Monitor(params=params)
for epoch in range(30):
    perm = rng.permutation(len(x_train))
    for i in range(0, len(x_train), 64):
        idx = perm[i:i + 64]
        out = forward(x_train[idx])
        step(x_train[idx], Y_train[idx])
        monitor.record(cost(out, Y_train[idx]), output=out, y=y_train[idx])
    if epoch % 10 == 0:
        print(f"epoch {epoch} cost {cost(forward(x_train), Y_train):.4f}")

print(f"test accuracy: {np.mean(forward(x_test).argmax(1) == y_test):.3f}")
