"""Digits MLP; argv[1]: 'list' (hidden layers in a Python list: never trained),
'tensor' (the output weight made with torch.randn(..., requires_grad=True)),
'modulelist' (the same layers registered: healthy), 'input-grad' (healthy, the batch
asks for its own gradient, as adversarial training does)."""

import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

mode = sys.argv[1]
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        hidden = [nn.Linear(64, 32), nn.Linear(32, 32)]
        self.hidden = hidden if mode == "list" else nn.ModuleList(hidden)
        if mode == "tensor":
            self.w = torch.randn(32, 10) * 0.1
            self.w.requires_grad_()
        else:
            self.out = nn.Linear(32, 10)

    def forward(self, inputs):
        for layer in self.hidden:
            inputs = torch.relu(layer(inputs))
        return inputs @ self.w if mode == "tensor" else self.out(inputs)


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(4):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        idx = perm[i : i + 32]
        batch = x[idx].clone().requires_grad_(mode == "input-grad")
        opt.zero_grad()
        loss = loss_fn(model(batch), y[idx])
        loss.backward()
        opt.step()
    print(epoch, loss.item())
