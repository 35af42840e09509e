import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# The images come as one folder per class: digit_0/, digit_1/, ... digit_9/.
# Each folder holds 150 training images; the rest are kept for testing.
digits = load_digits()
train_images, train_labels, test_images, test_labels = [], [], [], []
for label in range(10):
    folder = digits.images[digits.target == label] / 16.0
    train_images.append(folder[:150])
    train_labels += [label] * len(folder[:150])
    test_images.append(folder[150:])
    test_labels += [label] * len(folder[150:])

train_x = torch.tensor(np.concatenate(train_images), dtype=torch.float32).flatten(1)
train_y = torch.tensor(train_labels)
test_x = torch.tensor(np.concatenate(test_images), dtype=torch.float32).flatten(1)
test_y = torch.tensor(test_labels)

train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=50)

model = nn.Sequential(
    nn.Linear(64, 128),
    nn.ReLU(),
    nn.Linear(128, 10),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(15):
    model.train()
    epoch_loss = 0.0
    for batch_x, batch_y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(batch_x), batch_y)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * len(batch_x)

    model.eval()
    with torch.no_grad():
        train_acc = (model(train_x).argmax(1) == train_y).float().mean().item()
        test_acc = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"epoch {epoch + 1}: loss {epoch_loss / len(train_x):.4f}, "
          f"train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")

print(f"final test accuracy {test_acc:.3f}")
