"""A LightningModule on digits; argv[1]: 'healthy' or 'softmax' (a softmax before CrossEntropyLoss);
argv[2]: 'run' (plain, for nndoctor run) or 'callback' (nndoctor.lightning.DiagnosisCallback)."""

import json
import sys

import lightning as L
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

fault, mode = sys.argv[1], sys.argv[2]
L.seed_everything(0, verbose=False)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)


class Net(L.LightningModule):
    def __init__(self):
        super().__init__()
        layers = [nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)]
        self.net = nn.Sequential(*layers, *([nn.Softmax(dim=1)] if fault == "softmax" else []))
        self.loss = nn.CrossEntropyLoss()

    def training_step(self, batch, _):
        inputs, targets = batch
        loss = self.loss(self.net(inputs), targets)
        self.log("loss", loss, prog_bar=False)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


callbacks = []
if mode == "callback":
    from nndoctor.lightning import DiagnosisCallback

    doctor = DiagnosisCallback()
    callbacks.append(doctor)
trainer = L.Trainer(
    max_epochs=3,
    callbacks=callbacks,
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    accelerator="cpu",
    devices=1,
)
model = Net()
trainer.fit(model, loader)
with torch.no_grad():
    accuracy = (model.net(x).argmax(1) == y).float().mean().item()
print(f"train accuracy {accuracy:.3f}")
if mode == "callback":
    report = doctor.report()
    print(json.dumps({"ids": report.ids, "healthy": report.healthy}))
