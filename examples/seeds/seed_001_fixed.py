"""Seed 001, fixed: the same MLP, now learning.

Fixes: He-scaled initial weights and zero biases; the ReLU backward masks where
the forward activation was 0 (not where the gradient is negative); learning
rate 1e-2 instead of 1e-6; the accuracy uses the output acc_test computes
from its own input.

Original: a NumPy MNIST MLP that predicts one digit per epoch.

Re-created from a question ("Neural network always predicts the same class in
each epoch"): a 784-200-200-10 ReLU/softmax network written by hand, trained
one random image at a time, accuracy printed after every epoch. MNIST is not
downloaded here: sklearn's bundled 8x8 digits are upscaled to 28x28 and scaled
to [0, 1] like the question's `x / 255`. The lines marked `nndoctor` are what
a user adds to get a diagnosis.
"""

import random

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd  # nndoctor

np.random.seed(0)
random.seed(0)
digits = load_digits()
images = np.kron(digits.images, np.ones((3, 3)))  # 8x8 -> 24x24
images = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # -> 28x28, as MNIST
x = (images.reshape(len(images), 784) / 16.0).astype("float32")
y = np.eye(10)[digits.target]

x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.15, random_state=42)


class NN:
    def __init__(self, input_size, hidden_1_size, hidden_2_size, output_size):
        self.input_data = np.random.randn(1, input_size)
        self.w1 = np.random.randn(input_size, hidden_1_size) * np.sqrt(2 / input_size)
        self.b1 = np.zeros((1, hidden_1_size))

        self.w2 = np.random.randn(hidden_1_size, hidden_2_size) * np.sqrt(2 / hidden_1_size)
        self.b2 = np.zeros((1, hidden_2_size))

        self.w3 = np.random.randn(hidden_2_size, output_size) * np.sqrt(2 / hidden_2_size)
        self.b3 = np.zeros((1, output_size))

    def Softmax(self, z):
        y_logit = np.exp(z - np.max(z, 1, keepdims=True))
        y = y_logit / np.sum(y_logit, 1, keepdims=True)
        return y

    def Relu(self, z):
        return np.maximum(z, 0)

    def acc_test(self, input_data):
        tmp_h1 = self.Relu(input_data.dot(self.w1) + self.b1)
        tmp_h2 = self.Relu(tmp_h1.dot(self.w2) + self.b2)
        tmp_out = self.Softmax(tmp_h2.dot(self.w3) + self.b3)
        return tmp_out

    def forward(self, input_data):
        self.input_data = input_data
        self.h1_out = self.Relu(input_data.dot(self.w1) + self.b1)
        self.h2_out = self.Relu(self.h1_out.dot(self.w2) + self.b2)
        self.output_layer = self.Softmax(self.h2_out.dot(self.w3) + self.b3)

    def backward(self, target):
        Loss_to_z_grad = self.output_layer - target
        self.b3_grad = Loss_to_z_grad
        self.w3_grad = self.h2_out.T.dot(Loss_to_z_grad)

        Activation_2_grad = Loss_to_z_grad.dot(self.w3.T)
        Activation_2_grad[self.h2_out <= 0] = 0
        self.b2_grad = Activation_2_grad
        self.w2_grad = self.h1_out.T.dot(Activation_2_grad)

        Activation_1_grad = Activation_2_grad.dot(self.w2.T)
        Activation_1_grad[self.h1_out <= 0] = 0
        self.b1_grad = Activation_1_grad
        self.w1_grad = self.input_data.T.dot(Activation_1_grad)

    def update(self, learning_rate=1e-02):
        self.w1 = self.w1 - learning_rate * self.w1_grad
        self.b1 = self.b1 - learning_rate * self.b1_grad
        self.w2 = self.w2 - learning_rate * self.w2_grad
        self.b2 = self.b2 - learning_rate * self.b2_grad
        self.w3 = self.w3 - learning_rate * self.w3_grad
        self.b3 = self.b3 - learning_rate * self.b3_grad

    def print_accuracy(self):
        correct = 0
        for i in range(y_val.shape[0]):
            index = self.acc_test(x_val[i])
            one_hot = 0
            for check in range(y_val[i].shape[0]):
                if y_val[i][check] == 1:
                    one_hot = check
                    break
            if np.argmax(index) == one_hot:
                correct += 1
        print("accuracy = ", correct / y_val.shape[0])


mnist_nn = NN(input_size=784, hidden_1_size=200, hidden_2_size=200, output_size=10)

# nndoctor: the network's own pieces, checked once on one training image.
NAMES = ("w1", "b1", "w2", "b2", "w3", "b3")


def output(x):
    mnist_nn.forward(x)
    return mnist_nn.output_layer


def gradients(x, y):
    mnist_nn.forward(x)
    mnist_nn.backward(y)
    return {name: getattr(mnist_nn, name + "_grad") for name in NAMES}


def train_step(x, y):
    mnist_nn.forward(x)
    mnist_nn.backward(y)
    mnist_nn.update()


nnd.check(lambda: {name: getattr(mnist_nn, name) for name in NAMES},
          x_train[[0]], y_train[[0]], forward=output,
          loss=lambda out, y: -np.sum(y * np.log(out)),
          gradients=gradients, step=train_step, predict=mnist_nn.acc_test)

for i in range(3):
    for j in range(2000):
        index = random.randint(0, x_train.shape[0] - 1)
        mnist_nn.forward(x_train[[index]])
        mnist_nn.backward(y_train[index])
        mnist_nn.update()
    print(i)
    mnist_nn.print_accuracy()
