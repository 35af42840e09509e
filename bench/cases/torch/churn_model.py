import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# customer churn: 12 usage features, label 1 = customer left
X, y = make_classification(n_samples=2500, n_features=12, n_informative=6, n_redundant=2,
                           weights=[0.6, 0.4], random_state=21)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=21)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

train_ds = TensorDataset(torch.tensor(X_train, dtype=torch.float32),
                         torch.tensor(y_train, dtype=torch.float32).reshape(-1, 1))
test_X = torch.tensor(X_test, dtype=torch.float32)
test_y = torch.tensor(y_test, dtype=torch.float32).reshape(-1, 1)
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)


class ChurnModel(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, 32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
            nn.Linear(16, 1),
            nn.Softmax(dim=1),
        )

    def forward(self, x):
        return self.net(x)


model = ChurnModel(X_train.shape[1])
criterion = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(15):
    model.train()
    losses = []
    for features, labels in train_loader:
        optimizer.zero_grad()
        probs = model(features)
        loss = criterion(probs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        test_probs = model(test_X)
        test_acc = ((test_probs >= 0.5).float() == test_y).float().mean().item()
    print(f"Epoch {epoch + 1:2d} | train loss {np.mean(losses):.4f} | test acc {test_acc:.4f}")

print(f"Final test accuracy: {test_acc:.4f}")
