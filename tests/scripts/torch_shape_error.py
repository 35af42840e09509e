"""A PyTorch script whose first loss fails: targets of the wrong width (a shape error)."""

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
x, y = torch.randn(32, 4), torch.randn(32, 2)  # 2 target columns for 3 classes
for _ in range(100):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)  # line 13: the shape error is raised here
    loss.backward()
    optimizer.step()
