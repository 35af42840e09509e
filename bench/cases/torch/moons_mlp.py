import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = make_moons(n_samples=2000, noise=0.2, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

train_ds = TensorDataset(torch.tensor(X_train, dtype=torch.float32),
                         torch.tensor(y_train, dtype=torch.long))
test_x = torch.tensor(X_test, dtype=torch.float32)
test_y = torch.tensor(y_test, dtype=torch.long)
loader = DataLoader(train_ds, batch_size=32, shuffle=True)


class MoonNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 2)
        self.act = nn.ReLU()

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)


model = MoonNet()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)

for epoch in range(20):
    model.train()
    total_loss, total_correct = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * xb.shape[0]
        total_correct += (logits.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        test_acc = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"Epoch {epoch + 1:02d} | loss {total_loss / len(train_ds):.6f} | "
          f"train acc {total_correct / len(train_ds):.4f} | test acc {test_acc:.4f}")

print(f"Test accuracy: {test_acc:.4f}")
