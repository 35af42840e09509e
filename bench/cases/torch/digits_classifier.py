import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)


class DigitClassifier(nn.Module):
    def __init__(self, n_in=64, n_hidden=64, n_out=10):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_hidden)
        self.fc3 = nn.Linear(n_hidden, n_out)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.05)
            nn.init.zeros_(module.bias)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.2, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train = torch.tensor(y_train)
y_test = torch.tensor(y_test)

model = DigitClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
batch_size = 64

for epoch in range(20):
    model.train()
    permutation = torch.randperm(X_train.size(0))
    losses = []
    for i in range(0, X_train.size(0), batch_size):
        indices = permutation[i:i + batch_size]
        optimizer.zero_grad()
        logits = model(X_train[indices])
        loss = F.cross_entropy(logits, y_train[indices])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.eval()
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == y_train).float().mean().item()
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"Epoch {epoch + 1:2d}  loss {sum(losses) / len(losses):.4f}  "
          f"train acc {train_acc:.4f}  test acc {test_acc:.4f}")

print(f"Final test accuracy: {test_acc:.4f}")
