import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = make_friedman1(n_samples=3000, n_features=10, noise=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

x_mean, x_std = X_train.mean(0), X_train.std(0)
y_mean, y_std = y_train.mean(), y_train.std()
X_train = torch.tensor((X_train - x_mean) / x_std, dtype=torch.float32)
X_test = torch.tensor((X_test - x_mean) / x_std, dtype=torch.float32)
y_train = torch.tensor((y_train - y_mean) / y_std, dtype=torch.float32).unsqueeze(1)
y_test = torch.tensor((y_test - y_mean) / y_std, dtype=torch.float32).unsqueeze(1)

loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)


class Regressor(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, x):
        return self.net(x)


model = Regressor(10)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(25):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    model.eval()
    with torch.no_grad():
        test_mse = criterion(model(X_test), y_test).item()
    r2 = 1.0 - test_mse / y_test.var(unbiased=False).item()
    print(f"epoch {epoch + 1:2d}  train mse {total / len(X_train):.4f}  test mse {test_mse:.4f}  "
          f"test R^2 {r2:.3f}")

rmse = (test_mse ** 0.5) * y_std
print(f"Final test RMSE (original units): {rmse:.3f}, R^2: {r2:.3f}")
