"""A batch size that breaks training: the whole dataset as one batch, a handful of steps.

## What it does
Reports a run that fed the same single batch (the whole training set) at
every step and made fewer than 50 updates while the loss was still falling.

## Why is this bad?
With full-batch training one epoch is one update. Eight epochs are eight
small steps: the model has barely left its initialisation. Mini-batches of
32–256 give dozens of updates per epoch for the same compute.

## Example
```python
for epoch in range(8):
    loss = loss_fn(model(X_train), y_train)      # 8 updates in all
```

## Use instead
```python
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
for epoch in range(8):
    for xb, yb in loader:
        ...
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import too_few_updates

ID = "bad-batch-size"
KIND = "cause"
EXPLAINS = ("prediction-collapse", "accuracy-stuck", "loss-plateau", "no-better-than-baseline")
BATCH = 64  # a common mini-batch size, used to say how many updates the data would give


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or not model.same_batch_every_step:
        return []
    few = too_few_updates.check(obs)
    if not few:
        return []
    rows = model.batch_rows or 0
    steps = len(obs.trace)
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.75,
            title=f"Every step used the same batch of {rows} rows: {steps} epochs gave "
            f"{steps} updates",
            where="the training loop: one batch per epoch",
            evidence={
                "batch_rows": rows,
                "updates": steps,
                f"updates_per_epoch_at_batch_{BATCH}": max(1, rows // BATCH),
            },
            fix="Train on mini-batches: DataLoader(TensorDataset(X, y), batch_size=64, "
            "shuffle=True), so each epoch makes many updates.",
            explains=EXPLAINS,
        )
    ]
