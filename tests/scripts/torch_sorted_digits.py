"""Digits trained in label order (sorted, no shuffle), or shuffled as the healthy control.

Usage: torch_sorted_digits.py sorted|shuffled
The sorted run is balanced data (about 180 of each digit) fed one class at a
time: every batch holds a single class, which is unshuffled-data, never
class imbalance.
"""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "sorted"
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data[:1792] / 16.0, dtype=torch.float32)  # 56 full batches of 32
y = torch.tensor(digits.target[:1792])
order = torch.argsort(y, stable=True)
x, y = x[order], y[order]
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    rows = torch.randperm(len(y)) if mode == "shuffled" else torch.arange(len(y))
    for i in range(0, len(y), 32):
        batch = rows[i : i + 32]
        optimizer.zero_grad()
        loss = loss_fn(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f}, accuracy {accuracy:.3f}")
