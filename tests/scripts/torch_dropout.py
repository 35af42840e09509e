"""A seeded digits MLP with dropout and a shuffling DataLoader; saves its final weights.

Usage: python torch_dropout.py WEIGHTS.npy [EPOCHS] [SOFTMAX]
"""

import sys

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
out_path = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
double_softmax = len(sys.argv) > 3 and sys.argv[3] == "softmax"

digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
layers = [nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10)]
if double_softmax:
    layers.append(nn.Softmax(dim=1))
model = nn.Sequential(*layers)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(epochs):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.4f} acc {acc:.3f}", flush=True)
np.save(out_path, torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy())
