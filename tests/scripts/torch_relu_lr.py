"""Digits MLP, two ReLU layers, plain SGD; argv: learning rate, seed (tests/test_lr_rules.py)."""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

lr, seed = float(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(seed)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.SGD(model.parameters(), lr=lr)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(4):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    print(epoch, loss.item())
