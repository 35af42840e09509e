"""A small seeded torch regression; argv chooses the fault.

    python torch_regression.py [healthy|frozen|lr0|thousands|slow|misaligned]

healthy:   standardised targets, Adam: learns (train MSE far below var(y)).
frozen:    every weight frozen except the output bias: the best constant, the mean.
lr0:       learning rate 0 on a zero-initialised output layer: a constant prediction.
thousands: targets around 5000 +- 2000 (prices in dollars), SGD at a default rate.
slow:      plain SGD at a small rate: slow but steady.
misaligned: the training inputs were shuffled apart from their targets; a wide net
           memorises them while the held-out loss stays at the target variance.
Each epoch ends with the script's own evaluation on held-out rows under no_grad.
"""

import sys

import torch
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "healthy"
torch.manual_seed(0)
n, n_val = (128, 256) if mode == "misaligned" else (512, 128)
X = torch.randn(n + n_val, 8)
w = torch.randn(8, 1)
y = torch.sin(X @ w) + 0.5 * (X[:, :1] ** 2) + 0.1 * torch.randn(n + n_val, 1)
y = (y - y.mean()) / y.std()
if mode == "thousands":
    y = 5000.0 + 2000.0 * y
X, y, X_val, y_val = X[:n], y[:n], X[n:], y[n:]
if mode == "misaligned":
    X = X[torch.randperm(n)]  # y is not shuffled with it

hidden, epochs = (512, 60) if mode == "misaligned" else (32, 15)
model = nn.Sequential(nn.Linear(8, hidden), nn.ReLU(), nn.Linear(hidden, 1))
lr = {"healthy": 1e-2, "slow": 2e-2, "lr0": 0.0, "frozen": 1e-2, "thousands": 1e-3}.get(mode, 1e-2)
if mode in ("lr0", "frozen"):
    with torch.no_grad():
        model[2].weight.zero_()
if mode == "frozen":
    for p in [model[0].weight, model[0].bias, model[2].weight]:
        p.requires_grad_(False)
params = [p for p in model.parameters() if p.requires_grad]
opt = (torch.optim.SGD if mode in ("slow", "lr0", "thousands") else torch.optim.Adam)(params, lr=lr)
loss_fn = nn.MSELoss()
for epoch in range(epochs):
    perm = torch.randperm(n)
    for i in range(0, n, 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val_loss = loss_fn(model(X_val), y_val).item()
    print(f"epoch {epoch}: loss {loss.item():.4g}, val loss {val_loss:.4g}")
