import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

torch.manual_seed(4)

X, y = make_classification(n_samples=3000, n_features=20, n_informative=12, n_classes=4,
                           n_clusters_per_class=1, random_state=4)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=4)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                      nn.Linear(128, 4))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(12):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), 64):
        idx = perm[i:i + 64]
        optimizer.zero_grad()
        loss = criterion(model(X_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        h1 = model[1](model[0](X_train))
        h2 = model[3](model[2](h1))
        zeros = [(h == 0).float().mean().item() for h in (h1, h2)]
        never = [(h.max(0).values == 0).float().mean().item() for h in (h1, h2)]
        acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, zero activations {zeros[0]:.0%}/"
          f"{zeros[1]:.0%}, never active {never[0]:.0%}/{never[1]:.0%}, test acc {acc:.3f}")

print(f"final test acc {acc:.3f}")
