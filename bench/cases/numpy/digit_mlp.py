import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

np.random.seed(7)

digits = load_digits()
X = digits.data / 16.0
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)
Y_train = y_train.reshape(-1, 1)


class MLP:
    def __init__(self, sizes, lr):
        self.lr = lr
        self.W1 = np.random.randn(sizes[0], sizes[1]) * np.sqrt(1.0 / sizes[0])
        self.b1 = np.zeros(sizes[1])
        self.W2 = np.random.randn(sizes[1], sizes[2]) * np.sqrt(1.0 / sizes[1])
        self.b2 = np.zeros(sizes[2])

    def forward(self, X):
        self.a1 = 1 / (1 + np.exp(-(X @ self.W1 + self.b1)))
        z2 = self.a1 @ self.W2 + self.b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        self.probs = e / e.sum(axis=1, keepdims=True)
        return self.probs

    def loss(self, probs, Y):
        return float(-np.mean(np.sum(Y * np.log(probs + 1e-12), axis=1)))

    def backward(self, X, Y):
        m = X.shape[0]
        probs = self.forward(X)
        dz2 = (probs - Y) / m
        dW2 = self.a1.T @ dz2
        db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ self.W2.T) * self.a1 * (1 - self.a1)
        dW1 = X.T @ dz1
        db1 = dz1.sum(axis=0)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def step(self, X, Y):
        grads = self.backward(X, Y)
        self.W1 -= self.lr * grads["W1"]
        self.b1 -= self.lr * grads["b1"]
        self.W2 -= self.lr * grads["W2"]
        self.b2 -= self.lr * grads["b2"]

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)


net = MLP([64, 32, 10], lr=1e-4)
nnd.check(lambda: {"W1": net.W1, "b1": net.b1, "W2": net.W2, "b2": net.b2},
          X_train[:32], Y_train[:32], forward=net.forward, loss=net.loss,
          gradients=net.backward, step=net.step, predict=net.predict)
monitor = nnd.Monitor(params=lambda: {"W1": net.W1, "W2": net.W2})

for epoch in range(30):
    perm = np.random.permutation(len(X_train))
    for i in range(0, len(X_train), 32):
        idx = perm[i:i + 32]
        net.step(X_train[idx], Y_train[idx])
        monitor.record(net.loss(net.probs, Y_train[idx]), output=net.probs, y=y_train[idx])
    if epoch % 5 == 0 or epoch == 29:
        train_loss = net.loss(net.forward(X_train), Y_train)
        train_acc = np.mean(net.predict(X_train) == y_train)
        print(f"epoch {epoch}: loss={train_loss:.4f} acc={train_acc:.3f}")

print(f"test acc {np.mean(net.predict(X_test) == y_test):.3f}")
