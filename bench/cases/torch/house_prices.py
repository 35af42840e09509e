import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_regression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)

X, y = make_regression(n_samples=2000, n_features=12, n_informative=8, noise=10.0,
                       random_state=0)
price = 250_000 + 400 * y  # sale price in dollars
X_train, X_test, y_train, y_test = train_test_split(X, price, test_size=0.2, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32).unsqueeze(1)
y_test = torch.tensor(y_test, dtype=torch.float32).unsqueeze(1)

model = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)

for epoch in range(30):
    perm = torch.randperm(len(X_train))
    running = 0.0
    for i in range(0, len(X_train), 64):
        idx = perm[i:i + 64]
        optimizer.zero_grad()
        loss = criterion(model(X_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
        running += loss.item() * len(idx)
    with torch.no_grad():
        rmse = torch.sqrt(criterion(model(X_test), y_test)).item()
    print(f"epoch {epoch + 1}: train mse {running / len(X_train):.1f}, test rmse {rmse:.1f}")

with torch.no_grad():
    pred = model(X_test)
    r2 = 1 - ((pred - y_test) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()
print(f"test R^2 {r2.item():.3f}")
