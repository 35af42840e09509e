"""Seed 002, fixed: the same network, now learning.

Fixes: the update loop visits every layer and reads the gradients under the
keys the backward pass writes (dW1, db1, ...); dW and db have no stray (1/2).

Original: a two-layer NumPy network for digit recognition whose cost never moves.

Re-created from a question ("Why doesn't my backpropagation work?"): sklearn's
8x8 digits, a 64-20-10 ReLU/sigmoid network written by hand, cross-entropy cost,
2000 iterations of gradient descent. The cost printed every 100 iterations is
the same number each time. Plotting is replaced by prints (no display here).
The lines marked `nndoctor` are what a user adds to get a diagnosis.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd  # nndoctor

np.random.seed(1)
digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.25, random_state=0)

y_train1 = np.zeros((10, y_train.shape[0]))
for i in range(0, y_train.shape[0]):
    y_train1[y_train[i], i] = 1
x_train1 = np.transpose(x_train)


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    A = np.maximum(0, Z)
    assert A.shape == Z.shape
    cache = Z
    return A, cache


def init(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters


def propa_avant(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def propa_avant_activ(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = propa_avant(A_prev, W, b)
        A, activation_cache = sigmoid(Z)
    if activation == "relu":
        Z, linear_cache = propa_avant(A_prev, W, b)
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def fonction_cout(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    cost = np.squeeze(cost)
    return cost


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def propa_arriere(dZ, cache):
    A_prev, W, b = cache
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def propa_arriere_activ(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
        dA_prev, dW, db = propa_arriere(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = propa_arriere(dZ, linear_cache)
    return dA_prev, dW, db


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for i in range(1, L + 1):
        parameters["W" + str(i)] = parameters["W" + str(i)] - learning_rate * grads["dW" + str(i)]
        parameters["b" + str(i)] = parameters["b" + str(i)] - learning_rate * grads["db" + str(i)]
    return parameters


# nndoctor: the loop body below, as three functions, checked once on 64 samples.
def forward(X, p):
    A1, _ = propa_avant_activ(X, p["W1"], p["b1"], activation="relu")
    A2, _ = propa_avant_activ(A1, p["W2"], p["b2"], activation="sigmoid")
    return A2


def backward(X, Y, p):
    A1, cache1 = propa_avant_activ(X, p["W1"], p["b1"], activation="relu")
    A2, cache2 = propa_avant_activ(A1, p["W2"], p["b2"], activation="sigmoid")
    dA2 = (1 / X.shape[1]) * (-(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2)))
    dA1, dW2, db2 = propa_arriere_activ(dA2, cache2, activation="sigmoid")
    dA0, dW1, db1 = propa_arriere_activ(dA1, cache1, activation="relu")
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def two_layer_model(X, Y, layers_dims, learning_rate=0.05, num_iterations=2000, print_cost=False):
    grads = {}
    costs = []
    (n_x, n_h, n_y) = layers_dims
    parameters = init(n_x, n_h, n_y)
    nnd.check(parameters, X[:, :64], Y[:, :64],  # nndoctor
              forward=lambda x: forward(x, parameters), loss=fonction_cout,
              gradients=lambda x, y: backward(x, y, parameters),
              step=lambda x, y: update_parameters(parameters, backward(x, y, parameters),
                                                  learning_rate))
    monitor = nnd.Monitor(params=parameters)  # nndoctor
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]

    for i in range(0, num_iterations):
        A1, cache1 = propa_avant_activ(X, W1, b1, activation="relu")
        A2, cache2 = propa_avant_activ(A1, W2, b2, activation="sigmoid")
        cost = fonction_cout(A2, Y)
        m = X.shape[1]
        dA2 = (1 / m) * (-(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2)))
        dA1, dW2, db2 = propa_arriere_activ(dA2, cache2, activation="sigmoid")
        dA0, dW1, db1 = propa_arriere_activ(dA1, cache1, activation="relu")
        grads["dW1"] = dW1
        grads["db1"] = db1
        grads["dW2"] = dW2
        grads["db2"] = db2
        parameters = update_parameters(parameters, grads, learning_rate)
        monitor.record(cost, output=A2, y=Y)  # nndoctor
        W1 = parameters["W1"]
        b1 = parameters["b1"]
        W2 = parameters["W2"]
        b2 = parameters["b2"]
        if print_cost and i % 100 == 0:
            print(f"Cost after iteration {i}: {np.squeeze(cost)}")
            costs.append(cost)
    return parameters


parameters = two_layer_model(x_train1, y_train1, layers_dims=(x_train1.shape[0], 20, 10),
                             num_iterations=2000, print_cost=True)
A1, _ = propa_avant_activ(x_test.T, parameters["W1"], parameters["b1"], "relu")
A2, _ = propa_avant_activ(A1, parameters["W2"], parameters["b2"], "sigmoid")
print("test accuracy:", np.mean(A2.argmax(axis=0) == y_test))
