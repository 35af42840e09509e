import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)


class MLP(nn.Module):
    def __init__(self, in_dim=64, hidden=100, out_dim=10):
        super().__init__()
        self.hidden = nn.Linear(in_dim, hidden)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


digits = load_digits()
X = digits.data.astype(np.float32) / 16.0
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

train_loader = DataLoader(TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train)),
                          batch_size=32, shuffle=True)
test_loader = DataLoader(TensorDataset(torch.from_numpy(X_test), torch.from_numpy(y_test)),
                         batch_size=256)

model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def test():
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            correct += (model(data).argmax(dim=1) == target).sum().item()
    return correct / len(test_loader.dataset)


for epoch in range(1, 16):
    model.train()
    train_loss, train_correct = 0.0, 0
    for data, target in train_loader:
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * len(data)
        train_correct += (output.argmax(dim=1) == target).sum().item()
    n = len(train_loader.dataset)
    print(f"Train Epoch: {epoch}\tLoss: {train_loss / n:.4f}\t"
          f"Accuracy: {train_correct / n:.4f}\tTest accuracy: {test():.4f}")

print(f"Final test accuracy: {test():.4f}")
