"""A small seeded torch classifier on 80/20 labels, with an evaluation pass; argv chooses the fault.

    python torch_classifier.py [imbalanced|dropout|slow|frozen|misaligned]

imbalanced: labels 80/20 that depend on the inputs; Adam learns them (healthy).
dropout:    the same with Dropout(0.5): a noisy loss that still learns (healthy).
slow:       plain SGD at a small rate: slow but steady (healthy).
frozen:     only the output bias trains: the best it can do is the class prior.
misaligned: the training inputs were shuffled apart from their labels; a wide
            net memorises them while the held-out rows stay at the majority rate.
Each epoch ends with the script's own evaluation on held-out rows under no_grad.
"""

import sys

import torch
from torch import nn

mode = sys.argv[1] if len(sys.argv) > 1 else "imbalanced"
torch.manual_seed(0)
n, n_val = (256, 256) if mode == "misaligned" else (640, 160)
X = torch.randn(n + n_val, 10)
score = X[:, 0] + 0.5 * X[:, 1] * X[:, 2]
y = (score > torch.quantile(score, 0.8)).long()  # 20% positives, learnable
X, y, X_val, y_val = X[:n], y[:n], X[n:], y[n:]
if mode == "misaligned":
    X = X[torch.randperm(n)]  # y is not shuffled with it
drop = 0.5 if mode == "dropout" else 0.0
hidden, epochs = (512, 40) if mode == "misaligned" else (32, 12)
model = nn.Sequential(nn.Linear(10, hidden), nn.ReLU(), nn.Dropout(drop), nn.Linear(hidden, 2))
if mode == "frozen":
    for p in [model[0].weight, model[0].bias, model[3].weight]:
        p.requires_grad_(False)
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.SGD(params, lr=0.05) if mode == "slow" else torch.optim.Adam(params, lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(epochs):
    model.train()
    perm = torch.randperm(n)
    for i in range(0, n, 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val_out = model(X_val)
        val_loss = loss_fn(val_out, y_val).item()
        val_acc = (val_out.argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.4g}, val loss {val_loss:.4g}, val acc {val_acc:.3f}")
