import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

digits = load_digits()
features = digits.data.astype(np.float32) / 16.0
targets = digits.target.astype(np.int64)

# shuffle before splitting into train / validation
features = features[np.random.permutation(len(features))]
targets = targets[np.random.permutation(len(targets))]

n_train = int(0.8 * len(features))
x_train, x_val = torch.from_numpy(features[:n_train]), torch.from_numpy(features[n_train:])
y_train, y_val = torch.from_numpy(targets[:n_train]), torch.from_numpy(targets[n_train:])

train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)

model = nn.Sequential(
    nn.Linear(64, 256),
    nn.ReLU(),
    nn.Linear(256, 256),
    nn.ReLU(),
    nn.Linear(256, 10),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for epoch in range(25):
    model.train()
    total, correct, running_loss = 0, 0, 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
        total += len(yb)
    model.eval()
    with torch.no_grad():
        val_logits = model(x_val)
        val_loss = criterion(val_logits, y_val).item()
        val_acc = (val_logits.argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch + 1:2d}  loss {running_loss / total:.4f}  acc {correct / total:.4f}  "
          f"val_loss {val_loss:.4f}  val_acc {val_acc:.4f}")

print(f"final validation accuracy: {val_acc:.4f}")
