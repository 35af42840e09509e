import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = make_classification(n_samples=3000, n_features=16, n_informative=8, n_redundant=2,
                           n_classes=4, n_clusters_per_class=2, random_state=11)
X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.2, random_state=11)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train).astype(np.float32)
X_valid = scaler.transform(X_valid).astype(np.float32)

train_dl = DataLoader(TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train)),
                      batch_size=64, shuffle=True)
valid_dl = DataLoader(TensorDataset(torch.from_numpy(X_valid), torch.from_numpy(y_valid)),
                      batch_size=256)


class TabularMLP(nn.Module):
    def __init__(self, n_features, n_classes, hidden=(128, 64)):
        super().__init__()
        blocks = []
        prev = n_features
        for h in hidden:
            linear = nn.Linear(prev, h)
            nn.init.xavier_uniform_(linear.weight)
            nn.init.constant_(linear.bias, -10.0)
            blocks += [linear, nn.ReLU()]
            prev = h
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(prev, n_classes)

    def forward(self, x):
        return self.head(self.features(x))


model = TabularMLP(16, 4)
loss_func = nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def run_epoch(dl, train):
    model.train(train)
    total_loss, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(train):
        for xb, yb in dl:
            logits = model(xb)
            loss = loss_func(logits, yb)
            if train:
                opt.zero_grad()
                loss.backward()
                opt.step()
            total_loss += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            count += len(yb)
    return total_loss / count, correct / count


for epoch in range(20):
    train_loss, train_acc = run_epoch(train_dl, True)
    valid_loss, valid_acc = run_epoch(valid_dl, False)
    print(f"epoch {epoch + 1:2d}: train loss {train_loss:.4f} acc {train_acc:.3f} | "
          f"valid loss {valid_loss:.4f} acc {valid_acc:.3f}")

print(f"final valid accuracy: {valid_acc:.3f}")
