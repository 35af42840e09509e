import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

train_set = TensorDataset(torch.tensor(X_train, dtype=torch.float32),
                          torch.tensor(y_train, dtype=torch.float32))
loader = DataLoader(train_set, batch_size=64, shuffle=True)
X_test_t = torch.tensor(X_test, dtype=torch.float32)
y_test_t = torch.tensor(y_test)

model = nn.Sequential(
    nn.Linear(64, 128),
    nn.ReLU(),
    nn.Linear(128, 64),
    nn.ReLU(),
    nn.Linear(64, 1),
)
loss_fn = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def predict(x):
    with torch.no_grad():
        out = model(x).squeeze(1)
    return out.round().clamp(0, 9).long()


for epoch in range(20):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        pred = model(xb).squeeze(1)
        loss = loss_fn(pred, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    train_acc = (predict(train_set.tensors[0]) == train_set.tensors[1].long()).float().mean().item()
    test_acc = (predict(X_test_t) == y_test_t).float().mean().item()
    print(f"Epoch {epoch + 1}: loss {total / len(train_set):.4f}, "
          f"train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")

print(f"Final accuracy on test set: {(predict(X_test_t) == y_test_t).float().mean().item():.3f}")
