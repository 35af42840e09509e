"""Digits with an MLP; argv[1] == "misaligned" shuffles inputs and labels apart.

The fault as a user writes it: one permutation for the inputs, another for the
labels, so training accuracy creeps up (memorising) while held-out accuracy stays
at chance. Without the argument the same script is healthy.
"""

import sys

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
rng = np.random.default_rng(0)
digits = load_digits()
x = (digits.data / 16.0).astype(np.float32)
y = digits.target.astype(np.int64)
if sys.argv[1:] == ["misaligned"]:
    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]
else:
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
split = int(0.8 * len(x))
train = DataLoader(
    TensorDataset(torch.from_numpy(x[:split]), torch.from_numpy(y[:split])),
    batch_size=32,
    shuffle=True,
)
x_val, y_val = torch.from_numpy(x[split:]), torch.from_numpy(y[split:])

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(6):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = loss_fn(model(x_val), y_val).item()
        val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f} val_loss {val_loss:.3f} val_acc {val_acc:.3f}")
