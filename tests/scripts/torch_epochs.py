"""A seeded torch classifier trained for a few epochs, printing a line per epoch.

    python torch_epochs.py [healthy|double-softmax|binary] [EPOCHS]

healthy:        10 Gaussian classes, an MLP with raw scores into CrossEntropyLoss.
double-softmax: the same MLP ends in nn.Softmax, and CrossEntropyLoss applies it again.
binary:         one raw score into BCEWithLogitsLoss (healthy), whose first scores all lie
                inside [0, 1] (output bias 0.5, small output weights), as a sigmoid's would.
"""

import sys

import torch
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "healthy"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 8
torch.manual_seed(0)
classes, n = 10, 640
centres = torch.randn(classes, 16) * 2.0
y = torch.randint(0, classes, (n,))
X = centres[y] + torch.randn(n, 16)
layers = [nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1 if mode == "binary" else classes)]
if mode == "double-softmax":
    layers.append(nn.Softmax(dim=1))
model = nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
if mode == "binary":
    with torch.no_grad():
        model[2].weight.mul_(0.01)
        model[2].bias.fill_(0.5)
    y = (y < classes // 2).float().unsqueeze(1)
    loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(epochs):
    perm = torch.randperm(n)
    for i in range(0, n, 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = model(X)
        predicted = (out > 0).float() if mode == "binary" else out.argmax(1)
        accuracy = (predicted == y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.4f}, accuracy {accuracy:.3f}")
