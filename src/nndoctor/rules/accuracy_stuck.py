"""Accuracy does not change across epochs.

## What it does
Looks at the recorded metric (accuracy) of the last steps: identical values
over at least five records, below perfect, and no better than at the start
(a run that climbed and then levelled off has converged, not stuck).

## Why is this bad?
Accuracy frozen at one value means the predictions do not change: the
weights do not move, the model has collapsed to one class, or the accuracy
code does not look at the model's current output.

## Example
```text
Epoch 2 - acc: 0.3066
Epoch 3 - acc: 0.3066
Epoch 4 - acc: 0.3066
```

## Use instead
Fix the cause reported with it.
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._task import task

ID = "accuracy-stuck"
KIND = "symptom"
WINDOW = 5
PERFECT = 0.99  # a run that reached ~100% and stays there is done, not stuck
GAIN = 0.05  # frozen at most 5 points above where it started: it never really improved


def check(obs: Observations) -> list[Finding]:
    if task(obs).regression:
        return []  # a regression has no accuracy; a recorded metric is something else
    metrics = [r.metric for r in obs.trace if r.metric is not None]
    if len(metrics) < 2 * WINDOW:
        return []
    tail = metrics[-WINDOW:]
    if max(tail) != min(tail) or tail[-1] >= PERFECT or tail[-1] > metrics[0] + GAIN:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.8,
            title=f"Accuracy stayed at {tail[-1]:.4g} for the last {WINDOW} records",
            where="the recorded metric",
            evidence={"metric_last": tail[-1], "records": len(metrics)},
            fix="Fix the causes listed above it.",
        )
    ]
