import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8)
labels = torch.tensor(digits.target, dtype=torch.long)
images = (images - images.mean()) / images.std()

train_idx, test_idx = train_test_split(np.arange(len(labels)), test_size=0.2, random_state=0,
                                       stratify=digits.target)
train_loader = DataLoader(TensorDataset(images[train_idx], labels[train_idx]),
                          batch_size=32, shuffle=True)
test_loader = DataLoader(TensorDataset(images[test_idx], labels[test_idx]), batch_size=128)


class SmallCNN(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # 16 x 4 x 4
        x = self.pool(F.relu(self.conv2(x)))  # 32 x 2 x 2
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


model = SmallCNN()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def evaluate(loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


for epoch in range(12):
    model.train()
    running_loss = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * len(y)
    print(f"Epoch {epoch + 1:2d} | loss {running_loss / len(train_idx):.4f} | "
          f"train acc {evaluate(train_loader):.4f} | test acc {evaluate(test_loader):.4f}")

model.eval()
with torch.no_grad():
    sample, sample_label = images[test_idx[:5]], labels[test_idx[:5]]
    probs = F.softmax(model(sample), dim=1)
    print("sample predictions:", probs.argmax(1).tolist(), "true:", sample_label.tolist(),
          "confidence:", [round(p, 3) for p in probs.max(1).values.tolist()])
print(f"Final test accuracy: {evaluate(test_loader):.4f}")
