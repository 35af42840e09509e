import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)


class LogisticRegression(nn.Module):
    def __init__(self, n_inputs):
        super().__init__()
        self.linear = nn.Linear(n_inputs, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=1234)
sc = StandardScaler()
X_train = torch.from_numpy(sc.fit_transform(X_train).astype(np.float32))
X_test = torch.from_numpy(sc.transform(X_test).astype(np.float32))
y_train = torch.from_numpy(y_train.astype(np.float32)).view(-1, 1)
y_test = torch.from_numpy(y_test.astype(np.float32)).view(-1, 1)

model = LogisticRegression(X_train.shape[1])
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

num_epochs = 30
batch_size = 32
for epoch in range(num_epochs):
    perm = torch.randperm(len(X_train))
    epoch_loss, correct = 0.0, 0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X_train[idx], y_train[idx]

        y_pred = model(xb).detach()
        correct += (y_pred.round() == yb).sum().item()

        loss = criterion(y_pred, yb)
        loss.requires_grad_(True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * len(idx)

    with torch.no_grad():
        acc = (model(X_test).round() == y_test).float().mean().item()
    print(f"epoch: {epoch + 1}, loss = {epoch_loss / len(X_train):.4f}, "
          f"train acc = {correct / len(X_train):.4f}, test acc = {acc:.4f}")

with torch.no_grad():
    acc = (model(X_test).round() == y_test).float().mean().item()
print(f"accuracy: {acc:.4f}")
