"""Entry-point parity (issue 15): one PyTorch training, diagnosed through `watch()`.

Run plain (`python parity_torch.py CASE OUT.json SECONDS`) the one-liner's report() runs the
experiments and fix trials and is written to OUT.json; under `nndoctor run` the
watch block joins the run and the CLI's engine runs them. Cases: lr_high,
double_softmax, healthy.
"""

import json
import sys

import torch
from sklearn.datasets import load_digits
from torch import nn

import nndoctor.torch as nnd

case = sys.argv[1]
# The budget of each experiment and fix trial; under `nndoctor run`, --trial-seconds.
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
layers = [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]
if case == "double_softmax":
    layers.append(nn.Softmax(dim=1))
model = nn.Sequential(*layers)
rate = {"lr_high": 20.0}.get(case, 0.1)  # 20: ~200x the rate that trains this net
optimizer = torch.optim.SGD(model.parameters(), lr=rate)
with nnd.watch(model, optimizer) as doctor:
    for _ in range(3):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            rows = order[i : i + 64]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
            optimizer.step()
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        json.dump(doctor.report(trial_seconds=seconds).to_json(), out)
