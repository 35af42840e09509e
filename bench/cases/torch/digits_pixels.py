import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# 8x8 grayscale images with 0-255 pixel intensities
digits = load_digits()
images = (digits.images * (255.0 / 16.0)).astype(np.uint8)
labels = digits.target

x = torch.tensor(images.reshape(len(images), -1), dtype=torch.float32)
y = torch.tensor(labels, dtype=torch.long)
idx_train, idx_test = train_test_split(np.arange(len(x)), test_size=0.2, random_state=3)

train_loader = DataLoader(TensorDataset(x[idx_train], y[idx_train]), batch_size=32, shuffle=True)
test_loader = DataLoader(TensorDataset(x[idx_test], y[idx_test]), batch_size=128)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)
        self.act = nn.Tanh()

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)


def evaluate(loader):
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (net(images).argmax(1) == labels).sum().item()
            total += labels.size(0)
    net.train()
    return correct / total


for epoch in range(15):
    running = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(net(images), labels)
        loss.backward()
        optimizer.step()
        running += loss.item()
    print(f"[epoch {epoch + 1}] loss: {running / len(train_loader):.3f}  "
          f"train acc: {evaluate(train_loader):.3f}  test acc: {evaluate(test_loader):.3f}")

print(f"Accuracy of the network on the test images: {evaluate(test_loader):.3f}")
