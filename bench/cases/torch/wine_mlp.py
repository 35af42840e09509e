import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(0)
np.random.seed(0)

wine = load_wine()
X_tr, X_te, y_tr, y_te = train_test_split(wine.data, wine.target, test_size=0.3,
                                          random_state=1, stratify=wine.target)
sc = StandardScaler().fit(X_tr)
X_tr = torch.FloatTensor(sc.transform(X_tr))
X_te = torch.FloatTensor(sc.transform(X_te))
y_tr = torch.LongTensor(y_tr)
y_te = torch.LongTensor(y_te)


class WineNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(13, 32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
            nn.Linear(16, 3),
        )

    def forward(self, x):
        return self.layers(x)


net = WineNet()
criterion = nn.NLLLoss()
optimizer = torch.optim.Adam(net.parameters(), lr=0.01)

BATCH = 16
for epoch in range(30):
    net.train()
    order = np.random.permutation(len(X_tr))
    losses = []
    for start in range(0, len(order), BATCH):
        idx = order[start:start + BATCH]
        optimizer.zero_grad()
        out = net(X_tr[idx])
        loss = criterion(out, y_tr[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    net.eval()
    with torch.no_grad():
        train_acc = (net(X_tr).argmax(1) == y_tr).float().mean()
        test_acc = (net(X_te).argmax(1) == y_te).float().mean()
    print(f"[{epoch + 1:02d}] loss={np.mean(losses):.4f} train_acc={train_acc:.3f} "
          f"test_acc={test_acc:.3f}")

print(f"final test accuracy = {test_acc:.3f}")
