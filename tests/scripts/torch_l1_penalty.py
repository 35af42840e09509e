"""An L1 penalty written in the loop dominates the loss: over-regularization, but no
L2 term the fix trial could replay (tests/test_torch_trials.py)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=8)
scaler = StandardScaler().fit(X_train)
train_set = TensorDataset(torch.tensor(scaler.transform(X_train), dtype=torch.float32),
                          torch.tensor(y_train))
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_test = torch.tensor(y_test)
loader = DataLoader(train_set, batch_size=32, shuffle=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
l1_lambda = 0.05  # sparse weights

for epoch in range(4):
    model.train()
    ce_total, total, correct = 0.0, 0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        out = model(xb)
        ce = F.cross_entropy(out, yb)
        l1 = sum(p.abs().sum() for p in model.parameters())
        loss = ce + l1_lambda * l1
        loss.backward()
        optimizer.step()
        ce_total += ce.item() * len(yb)
        total += len(yb)
        correct += (out.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1:2d}: loss {loss.item():.4f} (ce {ce_total / total:.4f}) "
          f"train acc {correct / total:.3f} test acc {test_acc:.3f}")

print(f"Final test accuracy: {test_acc:.3f}")
