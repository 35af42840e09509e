import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# loan applications: label 1 = defaulted (about 20% of the applications)
X, y = make_classification(n_samples=4000, n_features=15, n_informative=8, n_redundant=3,
                           weights=[0.8, 0.2], class_sep=1.5, random_state=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=2,
                                                    stratify=y)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32).unsqueeze(1)
y_test_np = y_test
y_test = torch.tensor(y_test, dtype=torch.float32).unsqueeze(1)
print(f"default rate in training data: {y_train.mean().item():.3f}")

loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)

model = nn.Sequential(
    nn.Linear(15, 32),
    nn.ReLU(),
    nn.Linear(32, 16),
    nn.ReLU(),
    nn.Linear(16, 1),
)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(15):
    model.train()
    running = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(xb)
    model.eval()
    with torch.no_grad():
        pred = (model(X_test) > 0).float()
    acc = (pred == y_test).float().mean().item()
    recall = pred[y_test == 1].mean().item()
    print(f"epoch {epoch + 1:2d}  loss {running / len(X_train):.4f}  test acc {acc:.4f}  "
          f"default recall {recall:.3f}")

print(classification_report(y_test_np, pred.squeeze(1).numpy().astype(int), digits=3))
print(f"final test accuracy {acc:.4f}")
