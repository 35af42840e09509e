import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target, dtype=torch.long)
train_idx, test_idx = train_test_split(np.arange(len(X)), test_size=0.2, random_state=9)

train_loader = DataLoader(TensorDataset(X[train_idx], y[train_idx]), batch_size=16, shuffle=True)
X_test, y_test = X[test_idx], y[test_idx]

model = nn.Sequential(
    nn.Linear(64, 256),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(256, 256),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(256, 10),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

for epoch in range(15):
    model.train()
    batch_losses = []
    correct = 0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        out = model(xb)
        loss = criterion(out, yb)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
        correct += (out.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1:2d}  loss {np.mean(batch_losses):.4f} "
          f"(min {np.min(batch_losses):.3f} max {np.max(batch_losses):.3f})  "
          f"train acc {correct / len(train_idx):.4f}  test acc {test_acc:.4f}")

print(f"Final test accuracy: {test_acc:.4f}")
