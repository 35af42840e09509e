"""Digits MLP with heavy dropout, evaluated without model.eval().

Re-created from https://thecodeforge.io/ml-ai/pytorch-training-loop/
("model.train() and model.eval() switch Dropout and BatchNorm behavior - forgetting
eval mode makes validation noisy and misleading").
"""

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.manual_seed(0)
x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(
    nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.7),
    nn.Linear(128, 10),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def evaluate(xs, ys):
    with torch.no_grad():
        return (model(xs).argmax(1) == ys).float().mean().item()


for epoch in range(15):
    model.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} val acc {evaluate(x_test, y_test):.3f}")

print(f"test accuracy: {evaluate(x_test, y_test):.3f}")
