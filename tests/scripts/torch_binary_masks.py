"""Per-pixel binary segmentation with BCEWithLogitsLoss; masks stored as 0/255.

    python torch_binary_masks.py [raw|scaled]

raw:    targets 0/255 (a PNG mask read as is): the loss goes negative.
scaled: targets 0/1: a healthy run.
"""

import sys

import torch
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "raw"
torch.manual_seed(0)
n, side = 256, 6
X = torch.rand(n, 1, side, side)
mask = (X > 0.5).float()
target = mask * 255.0 if mode == "raw" else mask
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(10):
    for i in range(0, n, 32):
        opt.zero_grad()
        loss = loss_fn(model(X[i : i + 32]), target[i : i + 32])
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.4g}")
