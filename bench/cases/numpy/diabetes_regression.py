import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd

np.random.seed(11)
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=11)
x_mu, x_sd = X_train.mean(0), X_train.std(0)
y_mu, y_sd = y_train.mean(), y_train.std()
X_train, X_test = (X_train - x_mu) / x_sd, (X_test - x_mu) / x_sd
t_train = ((y_train - y_mu) / y_sd)[:, None]

net = {
    "W1": np.random.randn(10, 32) * np.sqrt(1 / 10), "b1": np.zeros(32),
    "W2": np.random.randn(32, 1) * np.sqrt(1 / 32), "b2": np.zeros(1),
}
lr, weight_decay = 0.05, 1e-4


def predict(X):
    return np.tanh(X @ net["W1"] + net["b1"]) @ net["W2"] + net["b2"]


def mse(pred, t):
    return float(np.mean((pred - t) ** 2))


def grad(X, t):
    h = np.tanh(X @ net["W1"] + net["b1"])
    err = 2 * (h @ net["W2"] + net["b2"] - t) / len(X)
    dh = err @ net["W2"].T * (1 - h ** 2)
    return {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ err, "b2": err.sum(0)}


def step(X, t):
    g = grad(X, t)
    for k in net:
        net[k] -= lr * (g[k] + weight_decay * net[k] * k.startswith("W"))


nnd.check(net, X_train[:32], t_train[:32], forward=predict, loss=mse,
          gradients=grad, step=step, predict=predict)
monitor = nnd.Monitor(params=net)

for epoch in range(100):
    order = np.random.permutation(len(X_train))
    for i in range(0, len(order), 16):
        b = order[i:i + 16]
        out = predict(X_train[b])
        monitor.record(mse(out, t_train[b]), output=out, y=t_train[b])
        step(X_train[b], t_train[b])
    if epoch % 20 == 0 or epoch == 99:
        print(f"epoch {epoch}: train mse {mse(predict(X_train), t_train):.4f}")

pred = predict(X_test)[:, 0] * y_sd + y_mu
r2 = 1 - np.sum((pred - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test R^2 {r2:.3f}, RMSE {np.sqrt(np.mean((pred - y_test) ** 2)):.1f}")
