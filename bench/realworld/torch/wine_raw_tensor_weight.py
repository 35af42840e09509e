"""Wine classifier whose output weights are a plain tensor, not an nn.Parameter.

Re-created from https://theflyingbirds.in/blog/pytorch-mysteries-lets-understand-nnmodule-nnparameter-modulelist-sequential-and-the-classic-layers-linear-activations-dropout
("my model didn't know it had parameters": a tensor attribute is not registered, so the
optimizer never sees it).
"""

import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

torch.manual_seed(0)
x, y = load_wine(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
scaler = StandardScaler().fit(x_train)
x_train = torch.tensor(scaler.transform(x_train), dtype=torch.float32)
x_test = torch.tensor(scaler.transform(x_test), dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(13, 4)
        self.w_out = torch.randn(4, 3, requires_grad=True)
        self.b_out = torch.zeros(3, requires_grad=True)

    def forward(self, x):
        return torch.tanh(self.hidden(x)) @ self.w_out + self.b_out


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(30):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 16):
        idx = perm[i:i + 16]
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")

with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"test accuracy: {acc:.3f}")
