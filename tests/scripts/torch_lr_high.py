"""A PyTorch classifier trained with a learning rate far too high, so fix trials run.

Wide enough that one trial's 200 steps take seconds: the CLI tests press Ctrl-C during it.
"""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 3)
)
optimizer = torch.optim.SGD(model.parameters(), lr=20.0)  # about 200x a working rate
x = torch.randn(512, 64)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
for _ in range(6):
    for i in range(0, 512, 128):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x[i : i + 128]), y[i : i + 128]).backward()
        optimizer.step()
