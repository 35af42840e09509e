import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

np.random.seed(3)
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=3)
X_train, X_test = X_train.T, X_test.T
y_train, y_test = y_train.reshape(1, -1), y_test.reshape(1, -1)


def init_params(n_x, n_h):
    return {"W1": np.random.randn(n_h, n_x) * np.sqrt(1 / n_x), "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(1, n_h) * np.sqrt(1 / n_h), "b2": np.zeros((1, 1))}


def forward(X, p):
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    return A1, A2


def compute_cost(A2, Y):
    m = Y.shape[1]
    A2 = np.clip(A2, 1e-10, 1 - 1e-10)
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


def backward(X, Y, p):
    m = X.shape[1]
    A1, A2 = forward(X, p)
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (p["W2"].T @ dZ2) * (1 - A1 ** 2)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(p, g, lr):
    for k in ("W1", "b1", "W2", "b2"):
        p[k] = p[k] - lr * g["d" + k]
    return p


params = init_params(X_train.shape[0], 10)
lr = 0.05

nnd.check(lambda: params, X_train[:, :32], y_train[:, :32],
          forward=lambda X: forward(X, params)[1], loss=compute_cost,
          gradients=lambda X, Y: backward(X, Y, params),
          step=lambda X, Y: update(params, backward(X, Y, params), lr))
monitor = nnd.Monitor(params=lambda: params)

for i in range(2000):
    A1, A2 = forward(X_train, params)
    cost = compute_cost(A2, y_train)
    params = update(params, backward(X_train, y_train, params), lr)
    monitor.record(cost, output=A2, y=y_train)
    if i % 200 == 0:
        print(f"Cost after iteration {i}: {cost:.6f}")

_, A2 = forward(X_test, params)
print(f"test acc {np.mean((A2 > 0.5) == y_test):.3f}")
