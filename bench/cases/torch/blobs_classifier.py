import numpy as np
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split
from torch import nn

torch.manual_seed(0)
np.random.seed(0)

N_CLASSES = 5
X, y = make_blobs(n_samples=2000, n_features=10, centers=N_CLASSES, cluster_std=3.0,
                  random_state=7)
X = (X - X.mean(axis=0)) / X.std(axis=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)

X_train = torch.tensor(X_train, dtype=torch.float32)
X_val = torch.tensor(X_val, dtype=torch.float32)
y_train = torch.tensor(y_train, dtype=torch.float32).view(-1, 1)
y_val = torch.tensor(y_val, dtype=torch.float32).view(-1, 1)


class BlobNet(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, 32),
            nn.Tanh(),
            nn.Linear(32, n_classes),
        )

    def forward(self, x):
        return self.net(x)


model = BlobNet(10, N_CLASSES)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def accuracy(x, y):
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    return (pred == y.view(-1).long()).float().mean().item()


batch_size = 50
for epoch in range(20):
    perm = torch.randperm(X_train.shape[0])
    epoch_loss = 0.0
    for i in range(0, X_train.shape[0], batch_size):
        batch = perm[i:i + batch_size]
        optimizer.zero_grad()
        output = model(X_train[batch])
        loss = criterion(output, y_train[batch])
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    n_batches = (X_train.shape[0] + batch_size - 1) // batch_size
    print(f"epoch {epoch + 1:>2}: loss {epoch_loss / n_batches:.4f}  "
          f"train_acc {accuracy(X_train, y_train):.3f}  val_acc {accuracy(X_val, y_val):.3f}")

print(f"Final validation accuracy: {accuracy(X_val, y_val):.3f}")
