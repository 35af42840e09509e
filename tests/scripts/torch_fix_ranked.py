"""Digits as 0-255 pixels behind a BatchNorm1d, and a softmax before CrossEntropyLoss.

Two causes are found. The double softmax is real: a copy on raw scores learns far
more in the same steps. The inputs far from unit scale are not: the first layer, a
BatchNorm1d, standardises each input column already, so a copy fed standardised
inputs trains exactly as the user's does, and that fix does not help.

With the argument raw-scores the softmax is gone: the only cause left is the
inputs' scale, whose fix does not help and which explains nothing seen.
"""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data * (255.0 / 16.0), dtype=torch.float32)
y = torch.tensor(digits.target)
layers = [nn.BatchNorm1d(64), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1)]
model = nn.Sequential(*layers[:-1] if sys.argv[1:] == ["raw-scores"] else layers)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(10):
    order = torch.randperm(len(y))
    for i in range(0, len(y), 128):
        rows = order[i : i + 128]
        optimizer.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
