"""A small seeded torch regression; argv chooses the fault.

    python torch_regression.py [healthy|frozen|lr0|thousands|slow]

healthy:   standardised targets, Adam: learns (train MSE far below var(y)).
frozen:    every weight frozen except the output bias: the best constant, the mean.
lr0:       learning rate 0 on a zero-initialised output layer: a constant prediction.
thousands: targets around 5000 +- 2000 (prices in dollars), SGD at a default rate.
slow:      plain SGD at a small rate: slow but steady.
"""

import sys

import torch
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "healthy"
torch.manual_seed(0)
n = 512
X = torch.randn(n, 8)
w = torch.randn(8, 1)
y = torch.sin(X @ w) + 0.5 * (X[:, :1] ** 2) + 0.1 * torch.randn(n, 1)
y = (y - y.mean()) / y.std()
if mode == "thousands":
    y = 5000.0 + 2000.0 * y

model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
lr = {"healthy": 1e-2, "slow": 2e-2, "lr0": 0.0, "frozen": 1e-2, "thousands": 1e-3}[mode]
if mode in ("lr0", "frozen"):
    with torch.no_grad():
        model[2].weight.zero_()
if mode == "frozen":
    for p in [model[0].weight, model[0].bias, model[2].weight]:
        p.requires_grad_(False)
params = [p for p in model.parameters() if p.requires_grad]
opt = (torch.optim.SGD if mode in ("slow", "lr0", "thousands") else torch.optim.Adam)(params, lr=lr)
loss_fn = nn.MSELoss()
for epoch in range(15):
    perm = torch.randperm(n)
    for i in range(0, n, 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.4g}")
