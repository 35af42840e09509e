import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

rng = np.random.default_rng(42)
X, y = make_moons(n_samples=1000, noise=0.2, random_state=3)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=3)
y_train = y_train.reshape(-1, 1)
y_test = y_test.reshape(-1, 1)

n_hidden = 16
params = {
    "W1": rng.normal(0, 1 / np.sqrt(2), (2, n_hidden)),
    "b1": np.zeros((1, n_hidden)),
    "W2": rng.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, 1)),
    "b2": np.zeros((1, 1)),
}
lr = 0.5


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return sigmoid(h @ params["W2"] + params["b2"])


def bce(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def backprop(X, y):
    m = X.shape[0]
    h = np.tanh(X @ params["W1"] + params["b1"])
    p = sigmoid(h @ params["W2"] + params["b2"])
    delta2 = (y - p) / m
    dW2 = h.T @ delta2
    db2 = delta2.sum(axis=0, keepdims=True)
    delta1 = (delta2 @ params["W2"].T) * (1 - h ** 2)
    dW1 = X.T @ delta1
    db1 = delta1.sum(axis=0, keepdims=True)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train_step(X, y):
    grads = backprop(X, y)
    for k in params:
        params[k] -= lr * grads[k]


def predict(X):
    return (forward(X) > 0.5).astype(int)


nnd.check(params, X_train[:32], y_train[:32], forward=forward, loss=bce,
          gradients=backprop, step=train_step, predict=predict)

for epoch in range(200):
    order = rng.permutation(len(X_train))
    for start in range(0, len(X_train), 50):
        idx = order[start:start + 50]
        train_step(X_train[idx], y_train[idx])
    if epoch % 20 == 0 or epoch == 199:
        loss = bce(forward(X_train), y_train)
        acc = np.mean(predict(X_train) == y_train)
        print(f"epoch {epoch:3d}  loss {loss:.4f}  train acc {acc:.3f}")

print(f"test acc {np.mean(predict(X_test) == y_test):.3f}")
