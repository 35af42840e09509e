"""Regression whose targets have shape (n,) against outputs of shape (n, 1) in MSELoss.

Re-created from https://runebook.dev/zh/docs/pytorch/generated/torch.nn.mseloss/torch.nn.MSELoss
(the first pitfall: predictions (B, 1) against targets (B); the losses must get the
same shape). Broadcasting makes a (B, B) difference: every output is pulled to every target.
"""

import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

torch.manual_seed(0)
x, y = load_diabetes(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
xs, ys = StandardScaler().fit(x_train), StandardScaler().fit(y_train.reshape(-1, 1))
x_train = torch.tensor(xs.transform(x_train), dtype=torch.float32)
x_test = torch.tensor(xs.transform(x_test), dtype=torch.float32)
y_train = torch.tensor(ys.transform(y_train.reshape(-1, 1)).ravel(), dtype=torch.float32)
y_test = torch.tensor(ys.transform(y_test.reshape(-1, 1)).ravel(), dtype=torch.float32)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(40):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")

with torch.no_grad():
    pred = model(x_test).squeeze(1)
r2 = 1 - ((pred - y_test) ** 2).mean().item() / y_test.var(unbiased=False).item()
print(f"test r2: {r2:.3f}")
