"""Training improves while held-out results stay at the trivial predictor's level.

## What it does
Reads your script's own held-out evaluation (Keras `validation_data` or
`validation_split`: `val_accuracy`, `val_loss` at each epoch's end; PyTorch:
the loss calls your script makes under `torch.no_grad()` after training began,
with their accuracy for class ids or binary targets). Reports
when the training run beats the trivial predictor (see
`no-better-than-baseline`) while the best held-out accuracy over all epochs
is not above the majority-class rate by two standard errors (of a rate
estimated on the profiled labels), or, for a regression, the best held-out
loss is not below the target variance (MSE) or mean absolute deviation (L1)
by two standard errors.

## Why is this bad?
The model fits its training data but nothing it learned carries over to new
data: it memorised the training rows. Inputs and labels that lost their
correspondence (shuffled separately, off by one), a validation set prepared
differently from the training set (different scaling, different label
order), or far too little data for the model.

## Example
```python
rng.shuffle(x_train)            # the labels y_train are not shuffled with it
model.fit(x_train, y_train, validation_split=0.2)
```

## Use instead
```python
order = rng.permutation(len(x_train))
x_train, y_train = x_train[order], y_train[order]
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import no_better_than_baseline
from nndoctor.rules._baseline import STANDARD_ERRORS, baseline

ID = "validation-at-chance"
KIND = "symptom"
MIN_EPOCHS = 2  # one evaluation after the first epoch says nothing yet


def check(obs: Observations) -> list[Finding]:
    held = [h for h in obs.held_out if h.accuracy is not None or h.loss is not None]
    if len(held) < MIN_EPOCHS:
        return []
    base = baseline(obs)
    if base is None or no_better_than_baseline.check(obs):
        return []  # training itself did not beat the baseline: that symptom says it
    evidence: dict[str, object] = {
        "task": base.task.kind,
        "trivial_predictor": base.predictor,
        "epochs_evaluated": len(held),
    }
    accuracies = [h.accuracy for h in held if h.accuracy is not None]
    losses = [h.loss for h in held if h.loss is not None]
    if accuracies and base.accuracy is not None and not base.task.regression:
        best = max(accuracies)
        margin = _margin(base.accuracy, base.accuracy_error, held[-1].samples)
        if best > base.accuracy + margin:
            return []
        evidence.update(
            val_accuracy_best=round(best, 4),
            majority_rate=round(base.accuracy, 4),
            margin=round(margin, 4),
        )
        train = [r.metric for r in obs.trace if r.metric is not None]
        if train:
            evidence["train_accuracy_final"] = round(train[-1], 4)
        elif obs.losses:
            evidence["train_loss_final"] = float(f"{obs.losses[-1]:.4g}")
        title = (
            f"Held-out accuracy (best {best:.3g}) never rose clearly above the majority-class "
            f"rate ({base.accuracy:.3g}) while training improved"
        )
    elif losses and base.loss is not None and base.task.regression:
        best = min(losses)
        margin = STANDARD_ERRORS * base.loss_error
        if best < base.loss - margin:
            return []
        evidence.update(
            val_loss_best=float(f"{best:.4g}"),
            loss_baseline=float(f"{base.loss:.4g}"),
            margin=float(f"{margin:.3g}"),
            train_loss_final=float(f"{obs.losses[-1]:.4g}"),
        )
        title = (
            f"Held-out loss (best {best:.4g}) never fell clearly below the loss of predicting "
            f"{base.predictor} ({base.loss:.4g}) while training improved"
        )
    else:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.8,
            title=title,
            where="the script's held-out evaluation",
            evidence=evidence,
            fix="Fix the causes listed above it. Check that inputs and labels "
            "were shuffled together, and that the held-out data is prepared exactly as the "
            "training data.",
        )
    ]


def _margin(rate: float, rate_error: float, held_samples: int | None) -> float:
    """Two standard errors: the majority rate's, and the held-out rate's own where its
    size is known."""
    held_error = math.sqrt(rate * (1 - rate) / held_samples) if held_samples else 0.0
    return STANDARD_ERRORS * math.hypot(rate_error, held_error)


def held_out_learned(obs: Observations) -> bool:
    """The script's own held-out accuracy rose clearly above the majority-class rate at
    some evaluation: what it learned generalises."""
    held = [h for h in obs.held_out if h.accuracy is not None]
    base = baseline(obs) if held else None
    if base is None or base.accuracy is None or base.task.regression:
        return False
    margin = _margin(base.accuracy, base.accuracy_error, held[-1].samples)
    return max(h.accuracy for h in held if h.accuracy is not None) > base.accuracy + margin
