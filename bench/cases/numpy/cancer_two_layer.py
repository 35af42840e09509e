import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import nndoctor.numpy as nnd

rng = np.random.default_rng(0)
data = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
y_train, y_test = y_train[:, None].astype(float), y_test[:, None].astype(float)

layer_sizes = [30, 20, 1]
weights = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a)
           for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
biases = [np.zeros((1, b)) for b in layer_sizes[1:]]
learning_rate = 0.1


def forward_pass(X):
    activations = [X]
    a = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = a @ W + b
        a = np.maximum(z, 0) if i < len(weights) - 1 else 1 / (1 + np.exp(-z))
        activations.append(a)
    return activations


def cross_entropy(p, y):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def backward_pass(X, y):
    activations = forward_pass(X)
    delta = (activations[-1] - y) / len(X)
    dWs, dbs = [], []
    for i in reversed(range(len(weights))):
        dWs.insert(0, activations[i].T @ delta)
        dbs.insert(0, delta.sum(axis=0, keepdims=True))
        if i > 0:
            delta = (delta @ weights[i].T) * (activations[i] > 0)
    return dWs, dbs


def update(X, y):
    dWs, dbs = backward_pass(X, y)
    for W, dW in zip(weights, dWs):
        W = W - learning_rate * dW
    for b, db in zip(biases, dbs):
        b = b - learning_rate * db


def all_params():
    return {"W1": weights[0], "b1": biases[0], "W2": weights[1], "b2": biases[1]}


def gradients(X, y):
    dWs, dbs = backward_pass(X, y)
    return {"W1": dWs[0], "b1": dbs[0], "W2": dWs[1], "b2": dbs[1]}


nnd.check(all_params, X_train[:32], y_train[:32],
          forward=lambda X: forward_pass(X)[-1], loss=cross_entropy,
          gradients=gradients, step=update,
          predict=lambda X: forward_pass(X)[-1])

for epoch in range(1, 101):
    idx = rng.permutation(len(X_train))
    for start in range(0, len(idx), 32):
        batch = idx[start:start + 32]
        update(X_train[batch], y_train[batch])
    if epoch % 10 == 0:
        p = forward_pass(X_train)[-1]
        acc = np.mean((p > 0.5) == y_train)
        print(f"Epoch {epoch}: loss {cross_entropy(p, y_train):.4f}, accuracy {acc:.4f}")

p_test = forward_pass(X_test)[-1]
print(f"test acc {np.mean((p_test > 0.5) == y_test):.3f}")
