import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = make_classification(n_samples=3000, n_features=24, n_informative=10, n_redundant=6,
                           n_classes=3, class_sep=1.2, random_state=5)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=5)
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

train_loader = DataLoader(
    TensorDataset(torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train)),
    batch_size=64, shuffle=True)
X_val = torch.tensor(X_val, dtype=torch.float32)
y_val = torch.tensor(y_val)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(24, 128), nn.ReLU(),
            nn.Linear(128, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
        )
        self.classifier = nn.Linear(64, 3)

    def forward(self, x):
        return self.classifier(self.body(x))


model = Model()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.5)

for epoch in range(15):
    model.train()
    losses, hits, count = [], 0, 0
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        logits = model(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        hits += (logits.argmax(1) == targets).sum().item()
        count += len(targets)
    model.eval()
    with torch.no_grad():
        val_acc = (model(X_val).argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch + 1:2d} | loss {np.mean(losses):10.4f} | acc {hits / count:.3f} | "
          f"val acc {val_acc:.3f}")

print(f"final val accuracy: {val_acc:.3f}")
