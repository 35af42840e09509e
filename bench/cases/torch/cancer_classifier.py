import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

data = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, random_state=42
)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

train_ds = TensorDataset(torch.tensor(X_train, dtype=torch.float32),
                         torch.tensor(y_train, dtype=torch.float32).unsqueeze(1))
test_x = torch.tensor(X_test, dtype=torch.float32)
test_y = torch.tensor(y_test, dtype=torch.float32).unsqueeze(1)
train_loader = DataLoader(train_ds, batch_size=16, shuffle=True)


class TumorNet(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.hidden = nn.Linear(in_features, 16)
        self.act = nn.ReLU()
        self.output = nn.Linear(16, 1)

    def forward(self, x):
        x = self.act(self.hidden(x))
        return torch.sigmoid(self.output(x))


model = TumorNet(X_train.shape[1])
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for epoch in range(20):
    model.train()
    epoch_loss = 0.0
    correct = 0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        prob = model(xb)
        loss = loss_fn(prob, yb)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * len(xb)
        correct += ((prob > 0.5).float() == yb).sum().item()
    n = len(train_ds)
    model.eval()
    with torch.no_grad():
        val_prob = model(test_x)
        val_loss = loss_fn(val_prob, test_y).item()
        val_acc = ((val_prob > 0.5).float() == test_y).float().mean().item()
    print(f"epoch {epoch:02d} | train loss {epoch_loss / n:.4f} acc {correct / n:.3f} "
          f"| val loss {val_loss:.4f} acc {val_acc:.3f}")

print(f"final validation accuracy: {val_acc:.3f}")
