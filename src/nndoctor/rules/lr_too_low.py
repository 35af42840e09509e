"""The learning rate is too small to move the loss.

## What it does
Measures how much one update changes each weight matrix relative to its size
(the update/weight ratio) in the step check and along the recorded training,
and whether your own step, repeated 200 times on 16 examples, lowers the loss.

## Why is this bad?
A healthy update changes the weights by about 1e-3 of their size
(Karpathy, CS231n "Babysitting the learning process"). At 1e-6 training
needs a thousand times more steps than it has: the loss looks flat, and the
prediction stays what the random initialisation gave.

## Example
```python
def update(self, learning_rate=1e-06):
    self.w1 -= learning_rate * self.w1_grad
```

## Use instead
```python
def update(self, learning_rate=1e-2):   # then tune by factors of 3-10
    self.w1 -= learning_rate * self.w1_grad
```
"""

from __future__ import annotations

from nndoctor.findings import Finding, number, plural
from nndoctor.observations import Observations
from nndoctor.rules._signals import median, still_falling, trace_ratios, weight_ratios

ID = "lr-too-low"
KIND = "cause"
# Two orders of magnitude under the ~1e-3 guideline (CS231n): measured on our
# healthy examples, plain SGD at a working rate gives 1e-4 to 1e-2.
TOO_LOW = 1e-5
NO_PROGRESS = 0.9  # the tiny-batch trial keeps over 90% of its loss: it did not learn
# The recorded loss fell by an order of magnitude and then levelled off: the run
# converged, and its late updates are small because the gradient is (a regression
# on targets in dollars ends with weights of 1e4 that move by cents). A higher rate
# would only reach the same end sooner.
CONVERGED_FALL = 0.1
EXPLAINS = ("loss-plateau", "accuracy-stuck", "prediction-collapse", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    ratios = weight_ratios(obs) or trace_ratios(obs)
    if not ratios:
        return []
    ratio = median(ratios)
    if ratio >= TOO_LOW or _converged(obs.losses):
        return []
    trial = obs.overfit
    stuck = trial is not None and trial.after > NO_PROGRESS * trial.before
    evidence: dict[str, object] = {
        "update_ratio_median": float(f"{ratio:.3g}"),
        "expected_around": 1e-3,
        "threshold": TOO_LOW,
    }
    if trial:
        evidence["tiny_batch_trial"] = (
            f"{plural(trial.steps, 'step')} on {plural(trial.examples, 'example')}: "
            f"loss {number(trial.before)} -> {number(trial.after)}"
        )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error" if stuck or trial is None else "warning",
            confidence=0.85 if stuck else 0.6,
            title=f"Each update changes the weights by only {ratio:.1e} of their size "
            "(about 1e-3 is typical)",
            where="the learning rate of your update",
            evidence=evidence,
            fix=f"Raise the learning rate about {max(10, round(1e-3 / ratio, -1)):.0e}x, then tune "
            "by factors of 3 to 10 while watching the loss.",
            explains=EXPLAINS,
        )
    ]


def _converged(losses: list[float]) -> bool:
    """The loss ended at a tenth of where it began or lower, and stopped falling."""
    if len(losses) < 3 or losses[0] <= 0:
        return False
    return losses[-1] <= CONVERGED_FALL * losses[0] and not still_falling(losses)
