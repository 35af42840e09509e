"""Healthy control: linear regression by gradient descent on z-scored features, with the
targets left in their own (large) units. The cost is huge but falls to the noise level.

Re-created from https://community.deeplearning.ai/t/multiple-linear-regression-housing-prices-problem-cost-too-high/211759
(the cost is huge because the targets are in the thousands; the mentor: normalising the
target is unnecessary, the bias shifts the predictions to the targets' level).
"""

import numpy as np

import nndoctor.numpy as nnd

rng = np.random.default_rng(0)
n, d = 1460, 30
X = rng.normal(size=(n, d)) * rng.uniform(1, 500, d) + rng.uniform(0, 1000, d)
true_w = rng.normal(0, 20000, d)
prices = 180000 + ((X - X.mean(0)) / X.std(0)) @ true_w + rng.normal(0, 10000, n)
X_train, y_train, X_test, y_test = X[:1200], prices[:1200], X[1200:], prices[1200:]
mu, sigma = X_train.mean(0), X_train.std(0)
X_train, X_test = (X_train - mu) / sigma, (X_test - mu) / sigma

w = np.zeros(d)
b = np.zeros(1)
alpha = 0.1


def predict(x):
    return x @ w + b


def compute_cost(pred, y):
    return float(np.mean((pred - y) ** 2) / 2)


def compute_gradient(x, y):
    err = predict(x) - y
    return {"w": x.T @ err / len(y), "b": np.array([err.mean()])}


def step(x, y):
    g = compute_gradient(x, y)
    w[:] -= alpha * g["w"]
    b[:] -= alpha * g["b"]


monitor = nnd.Monitor(params={"w": w, "b": b})
for i in range(300):
    pred = predict(X_train)
    step(X_train, y_train)
    monitor.record(compute_cost(pred, y_train), output=pred, y=y_train)
    if i % 100 == 0:
        print(f"iteration {i} cost {compute_cost(pred, y_train):.4g}")

pred = predict(X_test)
print(f"test r2: {1 - np.mean((pred - y_test) ** 2) / np.var(y_test):.3f}")
