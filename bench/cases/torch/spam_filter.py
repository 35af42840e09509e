import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(2)

X, y = make_classification(n_samples=1500, n_features=30, n_informative=10, class_sep=2.5,
                           flip_y=0.0, random_state=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=2)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32).unsqueeze(1)
y_test = torch.tensor(y_test, dtype=torch.float32).unsqueeze(1)

model = nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

for epoch in range(40):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), 64):
        idx = perm[i:i + 64]
        optimizer.zero_grad()
        loss = criterion(model(X_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    if epoch % 10 == 9:
        with torch.no_grad():
            p = model(X_train)
            confident = ((p < 0.01) | (p > 0.99)).float().mean().item()
        print(f"epoch {epoch + 1}: loss {criterion(p, y_train).item():.4f}, "
              f"outputs within 0.01 of 0 or 1: {confident:.0%}")

with torch.no_grad():
    test_acc = ((model(X_test) > 0.5).float() == y_test).float().mean().item()
print(f"test acc {test_acc:.3f}")
