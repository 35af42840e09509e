import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)

digits = load_digits()
X = StandardScaler().fit_transform(digits.data)
Y = np.eye(10)[digits.target]  # one-hot targets
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.2, random_state=5)
X_train = torch.tensor(X_train, dtype=torch.float32)
X_test = torch.tensor(X_test, dtype=torch.float32)
Y_train = torch.tensor(Y_train, dtype=torch.float32)
Y_test = torch.tensor(Y_test, dtype=torch.float32)


class SoftmaxNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(64, 100)
        self.output = nn.Linear(100, 10)

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return torch.softmax(self.output(h), dim=1)


def cross_entropy(p, y):
    return -(y * torch.log(p)).sum()


model = SoftmaxNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.002, momentum=0.9)
batch_size = 64

for epoch in range(20):
    perm = torch.randperm(len(X_train))
    epoch_loss = 0.0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        optimizer.zero_grad()
        p = model(X_train[idx])
        loss = cross_entropy(p, Y_train[idx])
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == Y_train.argmax(1)).float().mean().item()
        test_acc = (model(X_test).argmax(1) == Y_test.argmax(1)).float().mean().item()
    print(f"epoch {epoch + 1}: loss = {epoch_loss / len(X_train):.4f}, "
          f"train acc = {train_acc:.3f}, test acc = {test_acc:.3f}")

print(f"final test acc = {test_acc:.3f}")
