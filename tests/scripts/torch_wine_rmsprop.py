"""Wine, a 13-64-64-3 ReLU MLP, RMSprop. argv[1]: the learning rate (0.1: the first steps
replace the weights and throw the loss up before it settles; 1e-3: a working rate)."""

import sys

import torch
from sklearn.datasets import load_wine
from torch import nn

torch.manual_seed(0)
x, y = load_wine(return_X_y=True)
x = torch.tensor((x - x.mean(0)) / x.std(0), dtype=torch.float32)
y = torch.tensor(y)
model = nn.Sequential(nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
opt = torch.optim.RMSprop(model.parameters(), lr=float(sys.argv[1]))
loss_fn = nn.CrossEntropyLoss()
for _epoch in range(20):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 16):
        idx = perm[i : i + 16]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
with torch.no_grad():
    print("train accuracy", (model(x).argmax(1) == y).float().mean().item())
