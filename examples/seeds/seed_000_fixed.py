"""Seed 000, fixed: the same network, now learning.

Fixes: labels one-hot encoded like the output (2 units); the class count is
fixed at 2 instead of counted in each batch; the regularisation skips the bias
column on a copy instead of zeroing the first row of the weights in place;
the gradient is the batch mean (1/m), so the step size does not grow with m;
60 passes over the data instead of one.

Original: a NumPy sigmoid network that predicts one class for every image.

Re-created from a question ("Neural network always predicts the same class"):
two categories of images, features extracted by subtracting the BGR mean pixel
and normalising each image, a 1-hidden-layer sigmoid network with bias units
folded into theta1/theta2 (Coursera ML style), and a `fit` that trains it.
No image files here: 200 of sklearn's bundled 8x8 digits (3s against 8s) are
upscaled to 32x32 colour images with pixel values 0-255. The lines marked
`nndoctor` are what a user adds to get a diagnosis.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nndoctor.numpy as nnd  # nndoctor

np.random.seed(0)
digits = load_digits()
# A folder of 200 photos: the first 100 of each category.
keep = np.concatenate([np.flatnonzero(digits.target == d)[:100] for d in (3, 8)])
gray = np.kron(digits.images[keep], np.ones((4, 4))) * (255 / 16)  # 32x32, 0..255
tint = np.array([0.9, 1.0, 0.8])
images = np.clip(gray[..., None] * tint + np.random.rand(*gray.shape, 3) * 20, 0, 255)
classes = (digits.target[keep] == 8).astype(int)


def extract(image):
    # Subtract mean pixel and normalise (the question read files with cv2).
    img = image.astype(np.float32).copy()
    img[:, :, 0] -= 103.939
    img[:, :, 1] -= 116.779
    img[:, :, 2] -= 123.68
    img = (img.flatten() - np.mean(img)) / np.std(img)
    return np.array([img])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def randweights(l_in, l_out):
    epsilon = 0.12
    return np.random.rand(l_out, 1 + l_in) * 2 * epsilon - epsilon


def unpack(params, ils, hls, labels):
    t1 = params[: hls * (ils + 1)].reshape(hls, ils + 1)
    t2 = params[hls * (ils + 1):].reshape(labels, hls + 1)
    return t1, t2


def fit(x, y, t1, t2):
    """Training routine"""
    ils = x.shape[1] if len(x.shape) > 1 else 1
    labels = 2

    if t1 is None or t2 is None:
        t1 = randweights(ils, 10)
        t2 = randweights(10, labels)

    params = np.concatenate([t1.reshape(-1), t2.reshape(-1)])
    res = grad(params, ils, 10, labels, x, y)
    params -= 1.0 * res

    return unpack(params, ils, 10, labels)


def forward(x, theta1, theta2):
    """Forward propagation"""
    m = x.shape[0]
    a1 = np.vstack((np.ones([1, m]), x.T))
    z2 = np.dot(theta1, a1)
    a2 = np.vstack((np.ones([1, m]), sigmoid(z2)))
    a3 = sigmoid(np.dot(theta2, a2))
    return (a1, a2, a3, z2, m)


def grad(params, ils, hls, labels, x, Y, lmbda=0.01):
    """Compute gradient for hypothesis Theta"""
    theta1, theta2 = unpack(params, ils, hls, labels)

    a1, a2, a3, z2, m = forward(x, theta1, theta2)
    d3 = a3 - np.eye(labels)[Y].T
    print(f"Current error: {np.mean(np.abs(d3))}")
    monitor.record(np.mean(np.abs(d3)))  # nndoctor

    d2 = np.dot(theta2.T, d3) * (np.vstack([np.ones([1, m]), sigmoid_prime(z2)]))
    d3 = d3.T
    d2 = d2[1:, :].T

    t1_grad = np.dot(d2.T, a1.T) / m
    t2_grad = np.dot(d3.T, a2.T) / m

    reg1, reg2 = theta1.copy(), theta2.copy()
    reg1[:, 0] = 0
    reg2[:, 0] = 0

    t1_grad = t1_grad + (lmbda / m) * reg1
    t2_grad = t2_grad + (lmbda / m) * reg2

    return np.concatenate([t1_grad.reshape(-1), t2_grad.reshape(-1)])


def predict(theta1, theta2, x):
    """Predict output using learned weights"""
    m = x.shape[0]
    h1 = sigmoid(np.hstack((np.ones([m, 1]), x)).dot(theta1.T))
    h2 = sigmoid(np.hstack((np.ones([m, 1]), h1)).dot(theta2.T))
    return h2.argmax(axis=1)


X = np.vstack([extract(image) for image in images])
X_train, X_val, y_train, y_val = train_test_split(X, classes, test_size=0.25, random_state=0)

monitor = nnd.Monitor()  # nndoctor
t1, t2 = randweights(X.shape[1], 10), randweights(10, 2)


def train_step(x, y):  # nndoctor: one call of fit, as the loop below does it
    global t1, t2
    t1, t2 = fit(x, y, t1, t2)


nnd.check(lambda: {"theta1": t1, "theta2": t2}, X_train[:16], y_train[:16],  # nndoctor
          forward=lambda x: forward(x, t1, t2)[2], step=train_step,
          predict=lambda x: predict(t1, t2, x))

for epoch in range(60):
    for start in range(0, len(X_train), 16):
        t1, t2 = fit(X_train[start:start + 16], y_train[start:start + 16], t1, t2)

predictions = predict(t1, t2, X_val)
print("predicted classes:", np.bincount(predictions, minlength=2))
print("accuracy:", np.mean(predictions == y_val))
