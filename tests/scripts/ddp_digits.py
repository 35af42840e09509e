"""DDP on CPU (gloo) under torchrun: a digits MLP. argv[1], the fault: 'healthy',
'softmax' (a softmax before CrossEntropyLoss), 'no-sampler' (a shuffling DataLoader
without DistributedSampler), 'no-ddp' (the model not wrapped in DistributedDataParallel),
'no-set-epoch' (set_epoch never called); argv[2] (optional): rank 0 saves the weights."""

import sys

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

fault = sys.argv[1]
dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
data = TensorDataset(x, y)
sampler = DistributedSampler(data, shuffle=True, seed=0)
if fault == "no-sampler":
    loader = DataLoader(data, batch_size=32, shuffle=True)
else:
    loader = DataLoader(data, batch_size=32, sampler=sampler)
layers = [nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)]
if fault == "softmax":
    layers.append(nn.Softmax(dim=1))
model = nn.Sequential(*layers)
if fault != "no-ddp":
    model = DistributedDataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    if fault != "no-set-epoch":
        sampler.set_epoch(epoch)
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    if rank == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")
if rank == 0 and len(sys.argv) > 2:
    np.savez(sys.argv[2], *[p.detach().numpy() for p in model.parameters()])
dist.destroy_process_group()
