"""sklearn's diabetes regression (targets are whole numbers 25..346), MSE.
argv[1]: 'sigmoid' (a sigmoid on the output: it can never exceed 1) or 'linear'."""

import sys

import torch
from sklearn.datasets import load_diabetes
from torch import nn

torch.manual_seed(0)
data = load_diabetes()
x = torch.tensor(data.data * 20, dtype=torch.float32)  # unit scale
y = torch.tensor(data.target, dtype=torch.float32).reshape(-1, 1)
layers = [nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1)]
if sys.argv[1] == "sigmoid":
    layers.append(nn.Sigmoid())
model = nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()
for epoch in range(30):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    if epoch % 10 == 0:
        print(epoch, loss.item())
