"""Regression targets on a large or offset scale.

## What it does
For a regression (a squared or absolute error on real-valued targets, see
the task detection), reads the targets' mean and standard deviation from the
profiled sample and reports when their root mean square, sqrt(mean^2 + std^2),
is 10 or more: an order of magnitude beyond the unit scale a default-initialised
net outputs (LeCun et al. 1998, "Efficient BackProp": inputs and targets of
order 1). An error when the run also failed (a non-finite loss, a loss that
ended above its start, or no better than the trivial predictor); a note when
it learned anyway.

## Why is this bad?
A default-initialised net outputs values of order 1. Against targets in the
thousands the first errors, and so the first gradients, are thousands of
times larger than the learning rate was chosen for: the first steps overshoot
and training diverges, or the net spends its steps learning the offset.

## Example
```python
y = prices                       # dollars, around 250,000
loss = nn.MSELoss()(model(x), y)
```

## Use instead
```python
mean, std = y_train.mean(), y_train.std()
loss = nn.MSELoss()(model(x), (y - mean) / std)   # predict model(x) * std + mean
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import no_better_than_baseline
from nndoctor.rules._task import task

ID = "targets-not-normalized"
KIND = "cause"
# Targets an order of magnitude beyond unit scale (LeCun et al. 1998, Efficient
# BackProp); the torch fix trial standardises targets from the same bound.
TARGET_RMS = 10.0
EXPLAINS = ("nan-loss", "exploding-gradient", "loss-plateau", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    labels = obs.data.labels if obs.data else None
    t = task(obs)
    if not t.regression or labels is None or labels.mean is None or labels.std is None:
        return []
    rms = math.hypot(labels.mean, labels.std)
    if not math.isfinite(rms) or rms < TARGET_RMS:
        return []
    failed = _failed(obs)
    model = obs.model
    return [
        Finding(
            id=ID,
            kind=KIND,
            # The scale is measured, not inferred: in a run that failed it is the
            # root of the large first gradients that lr-too-high and
            # exploding-gradient see.
            severity="error" if failed else "info",
            confidence=0.9 if failed else 0.4,
            title=f"Regression targets have mean {labels.mean:.4g} and std {labels.std:.4g}, "
            "far from the unit scale a network outputs"
            + ("" if failed else " (the run learned anyway)"),
            where="the regression targets",
            location=model.loss_location if model else None,
            evidence={
                "target_mean": float(f"{labels.mean:.4g}"),
                "target_std": float(f"{labels.std:.4g}"),
                "target_rms": float(f"{rms:.4g}"),
                "threshold_rms": TARGET_RMS,
                "task_from": t.source,
            },
            fix="Standardise the targets: y_scaled = (y - y_train.mean()) / y_train.std(); "
            "train on y_scaled and predict model(x) * std + mean.",
            explains=EXPLAINS if failed else (),
        )
    ]


def _failed(obs: Observations) -> bool:
    """The run shows what off-scale targets cause: it diverged or learned nothing."""
    if any(r.nonfinite for r in obs.trace):
        return True
    losses = obs.losses
    if len(losses) >= 2 and losses[-1] > losses[0]:
        return True
    return bool(no_better_than_baseline.check(obs))
