"""Digits MLP under torch.autocast("cpu", bfloat16) with a GradScaler (argv[1]: 'amp'),
or plain float32 (argv[1]: 'plain'): the same seed and data (tests/test_amp.py)."""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

amp = sys.argv[1] == "amp"
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu", enabled=amp)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(4):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(model(x[idx]), y[idx])
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    print(epoch, loss.item())
