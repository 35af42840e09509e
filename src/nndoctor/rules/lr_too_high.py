"""Steps so large that the loss diverges, oscillates or goes NaN.

## What it does
Measures the update/weight ratio of each step, and whether the loss rises far
above its start or becomes NaN, in the recorded training and in the
tiny-batch trial of your own step.

## Why is this bad?
An update that changes the weights by a tenth of their size or more jumps
over the minimum: the loss bounces or explodes, ReLU units die in the first
steps and softmax saturates. A healthy ratio is about 1e-3 (CS231n).

## Example
```python
W1 -= 10.0 * dW1
```

## Use instead
```python
W1 -= 0.1 * dW1          # lower by factors of 10 until the loss falls smoothly
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._signals import collapsed_class, median, trace_ratios, weight_ratios

ID = "lr-too-high"
KIND = "cause"
# 10x the ~1e-3 guideline (CS231n). A large ratio alone is no proof: the first
# step from small initial weights (0.01 * randn) measures 0.2-0.8 in healthy
# runs (our seed_002_fixed), so the rule also needs the training to have failed.
TOO_HIGH = 1e-2
DIVERGED = 3.0  # the loss ends 3x above where it started: diverging, not noisy
STALLED = 0.5  # or stays above half its start while predictions collapse
EXPLAINS = ("nan-loss", "loss-plateau", "prediction-collapse", "dead-relu", "exploding-gradient")


def check(obs: Observations) -> list[Finding]:
    ratios = weight_ratios(obs) or trace_ratios(obs)
    if not ratios or median(ratios) <= TOO_HIGH:
        return []
    ratio = median(ratios)
    losses = [r.loss for r in obs.trace if r.loss is not None]
    finite = [v for v in losses if math.isfinite(v)]
    diverged = bool(finite) and (
        len(finite) < len(losses) or (len(finite) >= 5 and finite[-1] > DIVERGED * finite[0]))
    trial = obs.overfit
    trial_diverged = trial is not None and not trial.after <= DIVERGED * trial.before
    collapsed = collapsed_class(obs) is not None and (
        not finite or finite[-1] > STALLED * finite[0] or _stalled(finite))
    if not (diverged or trial_diverged or collapsed):
        return []
    evidence: dict[str, object] = {"update_ratio_median": float(f"{ratio:.3g}"),
                                   "expected_around": 1e-3}
    if finite:
        evidence["loss_first"], evidence["loss_last"] = finite[0], losses[-1]
    if collapsed:
        evidence["predictions"] = "collapsed onto one class"
    if trial:
        evidence["tiny_batch_trial"] = f"loss {trial.before:.4g} -> {trial.after:.4g}"
    return [Finding(
        id=ID, kind=KIND, severity="error", confidence=0.85 if diverged or trial_diverged else 0.7,
        title=f"Each update changes the weights by {ratio:.2g} of their size (about 1e-3 is "
              "typical) and training " + ("diverges" if diverged or trial_diverged else
                                          "collapses onto one class"),
        where="the learning rate of your update",
        evidence=evidence,
        fix=f"Lower the learning rate about {max(10, round(ratio / 1e-3, -1)):.0e}x, then tune "
            "by factors of 3 to 10.",
        explains=EXPLAINS,
    )]


def _stalled(losses: list[float]) -> bool:
    """The last quarter of the run no longer moves (relative spread under 1e-3)."""
    tail = losses[-max(5, len(losses) // 4):]
    return len(losses) >= 10 and (max(tail) - min(tail)) <= 1e-3 * abs(sum(tail) / len(tail))
