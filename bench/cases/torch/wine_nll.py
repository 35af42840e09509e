import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=3,
                                                    stratify=y)
scaler = StandardScaler().fit(X_train)
X_train = torch.FloatTensor(scaler.transform(X_train))
X_test = torch.FloatTensor(scaler.transform(X_test))
y_train = torch.LongTensor(y_train)
y_test = torch.LongTensor(y_test)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(13, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


model = Net()
criterion = nn.NLLLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.005)

batch_size = 16
for epoch in range(25):
    model.train()
    perm = torch.randperm(len(X_train))
    total_loss = 0.0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        optimizer.zero_grad()
        log_probs = model(X_train[idx])
        loss = criterion(log_probs, y_train[idx])
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == y_train).float().mean().item()
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"Epoch {epoch + 1:2d}: loss={total_loss / len(X_train):.4f} "
          f"train_acc={train_acc:.3f} test_acc={test_acc:.3f}")

print(f"Final test accuracy: {test_acc:.3f}")
