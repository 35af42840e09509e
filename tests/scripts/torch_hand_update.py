"""A PyTorch loop without an optimizer: the update is written by hand, as the official
examples do (pytorch/examples, the "Learning PyTorch with examples" tutorial).

Usage: torch_hand_update.py [--lr LR] [--style sub|data|bare] [--no-zero] [--epochs N]
[--save PATH]. `sub`: an nn.Module updated with `p -= lr * p.grad` under no_grad;
`data`: `p.data.add_(p.grad, alpha=-lr)`; `bare`: linear regression on leaf tensors
`w = torch.randn(..., requires_grad=True)`, no Module; `rebind`: the bug
`p = p - lr * p.grad`, which updates nothing. `--no-zero` never resets the
gradients. `--save` writes the final weights (.npy) for the bit-identity test.
"""

import argparse

import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=None)
parser.add_argument("--style", choices=("sub", "data", "bare", "rebind"), default="sub")
parser.add_argument("--no-zero", action="store_true")
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--save", default=None)
args = parser.parse_args()

torch.manual_seed(0)
if args.style == "bare":
    x = torch.randn(512, 8)
    y = x @ torch.linspace(-1, 1, 8).reshape(8, 1) + 0.5 + 0.1 * torch.randn(512, 1)
    w = torch.randn(8, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    params = [w, b]
    lr = 0.05 if args.lr is None else args.lr

    def forward(batch):
        return batch @ w + b

    def loss_fn(out, target):
        return ((out - target) ** 2).mean()
else:
    x = torch.randn(1024, 16)
    y = (x @ torch.randn(16, 4)).argmax(dim=1)  # 4 classes a linear teacher separates
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    params = list(model.parameters())
    lr = 0.1 if args.lr is None else args.lr
    forward = model
    loss_fn = nn.functional.cross_entropy

for _ in range(args.epochs):
    order = torch.randperm(x.shape[0])
    for i in range(0, x.shape[0], 64):
        rows = order[i : i + 64]
        loss = loss_fn(forward(x[rows]), y[rows])
        loss.backward()
        with torch.no_grad():
            for p in params:
                if args.style == "data":
                    p.data.add_(p.grad, alpha=-lr)
                elif args.style == "rebind":
                    p = p - lr * p.grad  # a common bug: rebinds the name, the weight stays
                    continue
                else:
                    p -= lr * p.grad
                if not args.no_zero:
                    p.grad.zero_()
print(f"final loss {loss.item():.4f}")
if args.save:
    np.save(args.save, torch.cat([p.detach().reshape(-1) for p in params]).numpy())
