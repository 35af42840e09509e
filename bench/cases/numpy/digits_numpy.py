import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

digits = load_digits()
X = digits.data / 16.0
Y = np.eye(10)[digits.target]
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.2, random_state=1)

n_in, n_hidden, n_out = 64, 50, 10
W1 = np.zeros((n_in, n_hidden))
b1 = np.zeros(n_hidden)
W2 = np.zeros((n_hidden, n_out))
b2 = np.zeros(n_out)
alpha = 1.0
epochs = 300


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def feedforward(X):
    H = sigmoid(X @ W1 + b1)
    return H, softmax(H @ W2 + b2)


def cost(P, Y):
    return -np.sum(Y * np.log(P + 1e-10)) / len(Y)


def grads(X, Y):
    H, P = feedforward(X)
    d_out = (P - Y) / len(X)
    d_hid = (d_out @ W2.T) * H * (1 - H)
    return {"W1": X.T @ d_hid, "b1": d_hid.sum(0), "W2": H.T @ d_out, "b2": d_out.sum(0)}


def train_step(X, Y):
    g = grads(X, Y)
    W1[...] -= alpha * g["W1"]
    b1[...] -= alpha * g["b1"]
    W2[...] -= alpha * g["W2"]
    b2[...] -= alpha * g["b2"]


nnd.check({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X_train[:32], Y_train[:32],
          forward=lambda X: feedforward(X)[1], loss=cost, gradients=grads,
          step=train_step, predict=lambda X: feedforward(X)[1])
monitor = nnd.Monitor(params={"W1": W1, "b1": b1, "W2": W2, "b2": b2})

for epoch in range(epochs):
    _, P = feedforward(X_train)
    train_step(X_train, Y_train)
    monitor.record(cost(P, Y_train), output=P, y=Y_train)
    if epoch % 50 == 0 or epoch == epochs - 1:
        acc = np.mean(P.argmax(1) == Y_train.argmax(1))
        print(f"epoch {epoch:3d}  cost {cost(P, Y_train):.4f}  train acc {acc:.3f}")

_, P_test = feedforward(X_test)
print(f"test acc {np.mean(P_test.argmax(1) == Y_test.argmax(1)):.3f}")
