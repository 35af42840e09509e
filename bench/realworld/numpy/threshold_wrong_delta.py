"""One neuron per layer, written by hand: the weight updates multiply by the weight itself.

Re-created from https://stats.stackexchange.com/questions/464262/backpropagation-demo-gives-always-the-same-result-after-training
(`delta_w2 = gradient_y * der_sigmoid(yHat) * w2 * LEARNING_RATE`, and w1 likewise: the
derivative needs the layer's input (h, x), not its weight). The asker's parity data cannot be
learnt by one hidden neuron at all, so here the task is a learnable threshold on one feature.
"""

import numpy as np

import nndoctor.numpy as nnd

rng = np.random.default_rng(0)
x = rng.uniform(0, 1, size=(300, 1))
y = (x > 0.5).astype(float)
x_train, y_train, x_test, y_test = x[:200], y[:200], x[200:], y[200:]

params = {"w1": np.array([rng.uniform(-1, 1)]), "w2": np.array([rng.uniform(-1, 1)]),
          "b1": np.zeros(1), "b2": np.zeros(1)}
LEARNING_RATE = 2.0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def feedforward(x):
    h = sigmoid(x * params["w1"] + params["b1"])
    return h, sigmoid(h * params["w2"] + params["b2"])


def cost(y_hat, y):
    return float(np.mean((y_hat - y) ** 2))


def gradients(x, y):
    h, y_hat = feedforward(x)
    gradient_y = 2 * (y_hat - y) / len(x)
    gradient_h = gradient_y * params["w2"]
    return {
        "w2": np.array([np.sum(gradient_y * y_hat * (1 - y_hat) * params["w2"])]),
        "w1": np.array([np.sum(gradient_h * h * (1 - h) * params["w1"])]),
        "b2": np.array([np.sum(gradient_y * y_hat * (1 - y_hat))]),
        "b1": np.array([np.sum(gradient_h * h * (1 - h))]),
    }


def step(x, y):
    for name, grad in gradients(x, y).items():
        params[name] -= LEARNING_RATE * grad


nnd.check(params, x_train[:32], y_train[:32], forward=lambda x: feedforward(x)[1], loss=cost,
          gradients=gradients, step=step, predict=lambda x: (feedforward(x)[1] > 0.5).astype(float))
monitor = nnd.Monitor(params=params)
for i in range(3000):
    out = feedforward(x_train)[1]
    step(x_train, y_train)
    monitor.record(cost(out, y_train), output=out, y=y_train)
    if i % 1000 == 0:
        print(f"iter {i} cost {cost(out, y_train):.4f}")

print(f"test accuracy: {np.mean((feedforward(x_test)[1] > 0.5) == y_test):.3f}")
