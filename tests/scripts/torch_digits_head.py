"""sklearn's digits, ten classes, CrossEntropyLoss, Adam.
argv[1]: 'sigmoid' (a sigmoid on the ten scores before the loss) or 'linear'."""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
data = load_digits()
x = torch.tensor(data.data / 16.0, dtype=torch.float32)
y = torch.tensor(data.target)
x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]
layers = [nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)]
if sys.argv[1] == "sigmoid":
    layers.append(nn.Sigmoid())
model = nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(8):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 64):
        idx = perm[i : i + 64]
        opt.zero_grad()
        loss = loss_fn(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(epoch, loss.item())
with torch.no_grad():
    print("test accuracy", (model(x_test).argmax(1) == y_test).float().mean().item())
