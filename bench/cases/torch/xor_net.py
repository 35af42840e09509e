import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
rng = np.random.default_rng(0)

X = rng.uniform(-1, 1, size=(2000, 2))
y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
X_train, X_test = torch.tensor(X[:1600], dtype=torch.float32), torch.tensor(X[1600:], dtype=torch.float32)
y_train, y_test = torch.tensor(y[:1600]), torch.tensor(y[1600:])

model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.1)
        nn.init.zeros_(m.bias)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(30):
    perm = torch.randperm(len(X_train))
    total = 0.0
    for i in range(0, len(X_train), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = criterion(model(X_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    with torch.no_grad():
        acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}: loss {total / len(X_train):.4f}, test acc {acc:.3f}")

print(f"final test acc {acc:.3f}")
