import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)

# Lab measurements of wine samples; some readings were lost by the instrument
# and come through as empty cells.
data = load_wine()
X = data.data.copy()
missing = np.random.rand(*X.shape) < 0.02
X[missing] = np.nan
y = data.target

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

X_train = torch.tensor(X_train, dtype=torch.float32)
X_test = torch.tensor(X_test, dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.long)
y_test = torch.tensor(y_test, dtype=torch.long)

model = nn.Sequential(
    nn.Linear(13, 24),
    nn.ReLU(),
    nn.Linear(24, 3),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

batch_size = 16
for epoch in range(30):
    perm = torch.randperm(len(X_train))
    running = 0.0
    for start in range(0, len(perm), batch_size):
        batch = perm[start:start + batch_size]
        optimizer.zero_grad()
        loss = criterion(model(X_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        running += loss.item() * len(batch)
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == y_train).float().mean().item()
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1:2d}: loss {running / len(X_train):.4f} train acc {train_acc:.3f} "
          f"test acc {test_acc:.3f}")

print(f"final test accuracy: {test_acc:.3f}")
