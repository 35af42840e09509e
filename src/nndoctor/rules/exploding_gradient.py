"""Gradients grow without bound.

## What it does
Follows the total gradient norm on sampled steps: reports a norm that becomes
NaN/Inf, or that rises 100-fold above its level in the first steps.

## Why is this bad?
A gradient 100x its usual size makes a step 100x too large: the weights jump,
the loss spikes and soon becomes NaN. Causes: a learning rate too high,
gradients that accumulate, deep or recurrent nets without clipping.

## Example
```python
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
```

## Use instead
```python
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)   # before optimizer.step()
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "exploding-gradient"
KIND = "cause"
EXPLODED = 100.0  # 100x the early level: two orders of magnitude, not noise
EXPLAINS = ("nan-loss", "loss-plateau", "prediction-collapse", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    totals = [
        # hypot: the same norm, inf instead of an OverflowError past 1e154 per entry
        (r.step, math.hypot(*(g.value for g in r.grad_norms)))
        for r in obs.trace
        if r.grad_norms
    ]
    if len(totals) < 4:
        return []
    early = sorted(v for _, v in totals[:3])[1]
    bad = [
        (s, v) for s, v in totals if not math.isfinite(v) or (early > 0 and v > EXPLODED * early)
    ]
    if not bad:
        return []
    step, value = bad[0]
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.85,
            title=f"The gradient norm reached {value:.3g} at step {step}, "
            f"{'' if not math.isfinite(value) else f'{value / early:.0f}x '}its early level",
            where="the gradients of the model",
            evidence={"grad_norm_early": early, "grad_norm_peak": value, "first_step": step},
            fix="Lower the learning rate; clip gradients (torch.nn.utils.clip_grad_norm_) "
            "and check that gradients are reset every step.",
            explains=EXPLAINS,
        )
    ]
