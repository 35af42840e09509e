import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

X, y = make_classification(n_samples=3000, n_features=20, n_informative=10, n_redundant=4,
                           n_classes=5, n_clusters_per_class=1, class_sep=1.2, random_state=4)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=4)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

# the "real" batch is 64 samples, computed as 4 micro-batches of 16
micro_batch = 16
accumulation_steps = 4
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=micro_batch, shuffle=True)

model = nn.Sequential(
    nn.Linear(20, 64),
    nn.ReLU(),
    nn.Linear(64, 64),
    nn.ReLU(),
    nn.Linear(64, 5),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(12):
    model.train()
    optimizer.zero_grad()
    running_loss = 0.0
    for step, (xb, yb) in enumerate(loader, start=1):
        loss = criterion(model(xb), yb)
        (loss / accumulation_steps).backward()
        running_loss += loss.item() * len(xb)
        if step % accumulation_steps == 0 or step == len(loader):
            optimizer.step()
            optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == y_train).float().mean().item()
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1:2d}: loss {running_loss / len(X_train):.4f}  "
          f"train acc {train_acc:.4f}  test acc {test_acc:.4f}")

print(f"final test accuracy: {test_acc:.4f}")
