"""Logistic regression with a hand-written update whose gradients are never reset.

Re-created from https://stackoverflow.com/questions/48001598 (mirror:
https://devpeace.com/python/48001598/why-do-we-need-to-call-zero-grad-in-pytorch),
whose vanilla gradient descent loop reads `W -= learning_rate * W.grad.data` and
needs `W.grad.data.zero_()` each step; here the reset is missing.
"""

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
x, y = load_breast_cancer(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train = torch.tensor(scaler.transform(x_train), dtype=torch.float32)
x_test = torch.tensor(scaler.transform(x_test), dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32)
y_test = torch.tensor(y_test, dtype=torch.float32)

W = torch.randn(30, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
learning_rate = 0.1

for step in range(200):
    p = torch.sigmoid(x_train @ W + b)
    loss = torch.nn.functional.binary_cross_entropy(p, y_train)
    loss.backward()
    with torch.no_grad():
        W -= learning_rate * W.grad
        b -= learning_rate * b.grad
    if step % 40 == 0:
        print(f"step {step} loss {loss.item():.4f}")

with torch.no_grad():
    acc = ((torch.sigmoid(x_test @ W + b) > 0.5).float() == y_test).float().mean().item()
print(f"test accuracy: {acc:.3f}")
