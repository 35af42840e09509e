import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

rng = np.random.RandomState(0)
X, y = make_moons(n_samples=600, noise=0.15, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

hidden = 10
W1 = rng.randn(2, hidden) / np.sqrt(2)
b1 = np.zeros(hidden)
W2 = rng.randn(hidden, 2) / np.sqrt(hidden)
b2 = np.zeros(2)
params = [W1, b1, W2, b2]
lr = 0.002


def forward(X):
    h = np.tanh(X @ W1 + b1)
    s = h @ W2 + b2
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def nll(probs, y):
    return -np.mean(np.log(probs[np.arange(len(y)), y]))


def backprop(X, y):
    h = np.tanh(X @ W1 + b1)
    probs = forward(X)
    d_s = probs.copy()
    d_s[np.arange(len(y)), y] -= 1
    d_s /= len(y)
    d_h = d_s @ W2.T * (1 - h ** 2)
    return [X.T @ d_h, d_h.sum(0), h.T @ d_s, d_s.sum(0)]


def sgd_step(X, y):
    for p, g in zip(params, backprop(X, y)):
        p -= lr * g


nnd.check(params, X_train[:32], y_train[:32], forward=forward, loss=nll,
          gradients=backprop, step=sgd_step, predict=lambda X: forward(X).argmax(1))
monitor = nnd.Monitor(params=params)

for epoch in range(15):
    losses = []
    for i in rng.permutation(len(X_train)):
        xi, yi = X_train[i:i + 1], y_train[i:i + 1]
        probs = forward(xi)
        losses.append(nll(probs, yi))
        sgd_step(xi, yi)
        monitor.record(losses[-1], output=probs, y=yi)
    acc = np.mean(forward(X_train).argmax(1) == y_train)
    print(f"epoch {epoch + 1}: mean loss {np.mean(losses):.4f}, train acc {acc:.3f}")

print(f"test acc {np.mean(forward(X_test).argmax(1) == y_test):.3f}")
