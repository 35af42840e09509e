"""Training batches come in label order, one class at a time.

## What it does
Reads the label histogram of the recorded batches: reports when most batches
hold a single class although the data has several.

## Why is this bad?
Each batch then pulls the model towards "always this class"; the model
forgets the previous classes as each new block arrives and ends the epoch
predicting the last one. With shuffled batches of 8 or more samples from K >= 2
classes, a one-class batch is rare (probability about K^(1-B)).

## Example
```python
loader = DataLoader(TensorDataset(x_sorted, y_sorted), batch_size=32)
```

## Use instead
```python
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "unshuffled-data"
KIND = "cause"
MIN_BATCH = 8  # per-sample SGD has one class per batch by construction
ONE_CLASS = 0.95  # a batch whose top class holds 95% of it
SORTED = 0.8  # 80% of the recorded batches are one-class
EXPLAINS = (
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    batches = [r.label_counts for r in obs.trace if r.label_counts and sum(r.label_counts) >=
               MIN_BATCH]
    if len(batches) < 5:
        return []
    single = [b for b in batches if max(b) >= ONE_CLASS * sum(b)]
    classes = {max(range(len(b)), key=lambda i: b[i]) for b in batches}
    if len(single) < SORTED * len(batches) or len(classes) < 2:
        return []
    return [Finding(
        id=ID, kind=KIND, severity="error", confidence=0.85,
        title=f"{len(single)} of {len(batches)} recorded batches hold a single class",
        where="the order of the training data",
        evidence={"one_class_batches": len(single), "batches": len(batches),
                  "classes_seen": len(classes)},
        fix="Shuffle the training data every epoch: DataLoader(..., shuffle=True), or "
            "x, y = x[perm], y[perm] with one permutation for both.",
        explains=EXPLAINS,
    )]
