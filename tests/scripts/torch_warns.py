"""A PyTorch regression whose loss warns (targets of shape (N,) beside outputs of (N, 1)).

The user's own loss call warns once; nndoctor's experiments on copies call the same loss
and must not print the warning again.
"""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(128, 4)
y = x[:, 0] - 0.5 * x[:, 1]  # shape (N,): broadcasts against the (N, 1) output
for _ in range(5):
    for i in range(0, 128, 32):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x[i : i + 32]), y[i : i + 32]).backward()
        optimizer.step()
