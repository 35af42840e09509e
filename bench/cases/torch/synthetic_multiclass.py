import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)

X, y = make_classification(
    n_samples=3000, n_features=20, n_informative=12, n_redundant=4,
    n_classes=10, n_clusters_per_class=1, class_sep=1.5, random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

X_train = torch.from_numpy(X_train).float()
X_test = torch.from_numpy(X_test).float()
y_train = torch.from_numpy(y_train).long()
y_test = torch.from_numpy(y_test).long()


class Classifier(nn.Module):
    def __init__(self, n_in, n_hidden, n_classes):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_hidden)
        self.out = nn.Linear(n_hidden, n_classes)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.out(x)
        return F.softmax(x, dim=1)


model = Classifier(20, 64, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)

batch_size = 64
n_epochs = 20

for epoch in range(n_epochs):
    model.train()
    perm = torch.randperm(len(X_train))
    total_loss, correct = 0.0, 0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X_train[idx], y_train[idx]

        optimizer.zero_grad()
        probs = model(xb)
        loss = F.cross_entropy(probs, yb)
        loss.backward()
        optimizer.step()

        total_loss += loss.item() * len(idx)
        correct += (probs.argmax(1) == yb).sum().item()

    model.eval()
    with torch.no_grad():
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"Epoch {epoch + 1}/{n_epochs} - loss: {total_loss / len(X_train):.4f} "
          f"- acc: {correct / len(X_train):.4f} - val_acc: {test_acc:.4f}")

model.eval()
with torch.no_grad():
    test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
print(f"Test accuracy: {test_acc:.4f}")
