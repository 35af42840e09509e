import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train = (X_train - mean) / std
X_test = (X_test - mean) / std

w = np.zeros(X_train.shape[1])
b = np.zeros(1)
lr = 0.1
n_iter = 500


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def predict_proba(X):
    return sigmoid(X @ w + b)


def log_loss(p, y):
    eps = 1e-15
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def gradient(X, y):
    error = predict_proba(X) - y
    return {"w": X.T @ error / len(y), "b": np.array([error.mean()])}


def gd_step(X, y):
    g = gradient(X, y)
    w[:] -= lr * g["w"]
    b[:] -= lr * g["b"]


nnd.check({"w": w, "b": b}, X_train[:32], y_train[:32], forward=predict_proba,
          loss=log_loss, gradients=gradient, step=gd_step,
          predict=lambda X: (predict_proba(X) > 0.5).astype(int))
monitor = nnd.Monitor(params={"w": w, "b": b})

for i in range(n_iter):
    p = predict_proba(X_train)
    loss = log_loss(p, y_train)
    gd_step(X_train, y_train)
    monitor.record(loss, output=p, y=y_train)
    if i % 100 == 0:
        print(f"iter {i}: loss {loss:.4f}, train acc {np.mean((p > 0.5) == y_train):.3f}")

print(f"test acc {np.mean((predict_proba(X_test) > 0.5) == y_test):.3f}")
