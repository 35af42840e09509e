import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# transactions: 20 features, label 1 = fraudulent
X, y = make_classification(n_samples=4000, n_features=20, n_informative=5, n_redundant=5,
                           weights=[0.95, 0.05], class_sep=2.0, flip_y=0.0, random_state=3)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32).unsqueeze(1)
y_test_np = y_test
y_test = torch.tensor(y_test, dtype=torch.float32).unsqueeze(1)

print(f"train size {len(X_train)}, fraud rate {y_train.mean().item():.3f}")

loader = DataLoader(TensorDataset(X_train, y_train), batch_size=128, shuffle=True)

model = nn.Sequential(
    nn.Linear(20, 8),
    nn.ReLU(),
    nn.Linear(8, 1),
)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for epoch in range(10):
    model.train()
    total_loss = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(xb)
    model.eval()
    with torch.no_grad():
        test_pred = (model(X_test) > 0).float()
        acc = (test_pred == y_test).float().mean().item()
    print(f"epoch {epoch + 1:2d}  loss {total_loss / len(X_train):.4f}  test accuracy {acc:.4f}")

print("confusion matrix (rows = true, cols = predicted):")
print(confusion_matrix(y_test_np, test_pred.squeeze(1).numpy().astype(int)))
print(f"final test accuracy {acc:.4f}")
