"""A small PyTorch training script with a common fault, for the README and the docs.

It trains an MLP on scikit-learn's bundled 8x8 digits (nothing is downloaded) and
prints its accuracy. Run it plainly (`python examples/train_digits.py`) or under
nndoctor (`nndoctor run examples/train_digits.py`); `--epochs N` is the script's
own argument.
"""

import argparse

import torch
from sklearn.datasets import load_digits
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16, dtype=torch.float32)
y = torch.tensor(digits.target)
train = torch.utils.data.TensorDataset(x[:1500], y[:1500])
loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True)

model = nn.Sequential(
    nn.Linear(64, 64),
    nn.ReLU(),
    nn.Linear(64, 10),
    nn.Softmax(dim=1),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(args.epochs):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(x[1500:]).argmax(dim=1) == y[1500:]).float().mean()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {accuracy:.3f}")
