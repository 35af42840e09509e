"""Gradients accumulate across steps because they are never reset.

## What it does
Counts `optimizer.zero_grad()` / `model.zero_grad()` calls between optimizer
steps, and follows the gradient norm: reported when no reset happened before
most steps and the gradient norm keeps growing. For an update written by hand
(`p -= lr * p.grad`) it reads `p.grad` itself before each backward: still
holding the earlier steps' sum there is the fault, whatever the norm does.

## Why is this bad?
PyTorch adds each `backward()` into `.grad`. Without a reset, step k applies
the sum of all k gradients so far: the effective learning rate grows every
step, the loss oscillates and diverges, and old batches keep steering the
update.

## Example
```python
for x, y in loader:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```

## Use instead
```python
for x, y in loader:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "grad-not-zeroed"
KIND = "cause"
NEVER = 0.9  # no reset before 90% of steps: not an occasional accumulation by design
GROWTH = 2.0  # the gradient norm late in the run is twice its early level
MIN_STEPS = 5
EXPLAINS = (
    "loss-plateau",
    "exploding-gradient",
    "nan-loss",
    "prediction-collapse",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    flags = [r.grads_zeroed for r in obs.trace if r.grads_zeroed is not None]
    if len(flags) < MIN_STEPS or sum(1 for f in flags if not f) < NEVER * len(flags):
        return []
    model = obs.model
    by_hand = model is not None and model.optimizer == "hand-written"
    # hypot: the same norm, inf instead of an OverflowError past 1e154 per entry
    totals = [math.hypot(*(g.value for g in r.grad_norms)) for r in obs.trace if r.grad_norms]
    evidence: dict[str, object] = {
        "steps_without_reset": len(flags) - sum(flags),
        "steps": len(flags),
    }
    early, late = (
        (sorted(totals[:3])[1], sorted(totals[-3:])[1]) if len(totals) >= 2 * 3 else (0.0, 0.0)
    )
    if by_hand:
        # An update written by hand: the reset flags are direct reads of p.grad before
        # each backward, which still held the sum of the earlier steps. Proof enough: the
        # summed gradient swings the weights back and forth rather than growing.
        evidence["gradient_before_backward"] = "non-zero: the sum of the earlier steps"
        grew = ": each backward adds to the sum of all earlier gradients"
    elif early > 0 and late >= GROWTH * early:
        evidence |= {"grad_norm_early": round(early, 6), "grad_norm_late": round(late, 6)}
        grew = f", and the gradient norm grew {late / early:.0f}x"
    else:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"Gradients are never reset: no zero_grad() before {len(flags) - sum(flags)} of "
            f"{len(flags)} steps{grew}",
            where="the training loop",
            location=model.optimizer_location if model else None,
            evidence=evidence,
            fix="Reset the gradients after each hand-written update (p.grad.zero_() or "
            "p.grad = None, or model.zero_grad() before loss.backward())."
            if by_hand
            else "Call optimizer.zero_grad() before loss.backward() in every iteration.",
            explains=EXPLAINS,
        )
    ]
