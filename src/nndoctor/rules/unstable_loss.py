"""A hand-written loss computed unstably: log of a probability that reaches 0.

## What it does
Reports a run whose loss was written by hand (backward() ran on a value no
known loss function produced), fed with probabilities (softmax/sigmoid
outputs), where the loss became NaN or infinite.

## Why is this bad?
`torch.log(softmax(z))` is -inf as soon as one probability underflows to 0
(float32: a logit gap above ~104), and 0 * -inf is NaN: one such sample turns
the whole loss and every gradient into NaN, and the weights with them.
`log_softmax` and the built-in losses compute the same value stably.

## Example
```python
probs = torch.softmax(model(x), dim=1)
loss = -(torch.log(probs) * one_hot).sum(dim=1).mean()
```

## Use instead
```python
loss = F.cross_entropy(model(x), y)       # raw scores, class ids
# or: -(F.log_softmax(logits, dim=1) * one_hot).sum(dim=1).mean()
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations, StepRecord

ID = "unstable-loss"
KIND = "cause"
EXPLAINS = (
    "nan-loss",
    "exploding-gradient",
    "loss-plateau",
    "prediction-collapse",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    bad = next((r for r in obs.trace if r.loss is not None and not math.isfinite(r.loss)), None)
    if bad is None:
        return []
    if obs.output is not None and obs.output.loss_finite_at_limits is False:
        return [_numpy_log_zero(obs, bad)]
    model = obs.model
    if model is None or not model.handwritten_loss:
        return []
    if model.output_activation not in ("softmax", "sigmoid"):
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"Your hand-written loss on {model.output_activation} probabilities became "
            f"{bad.loss} at step {bad.step}",
            where="the loss computed in your training loop",
            evidence={
                "output_activation": model.output_activation,
                "first_nonfinite_step": bad.step,
                "loss_function": "hand-written (no torch loss seen)",
            },
            fix="Use F.cross_entropy on the raw scores (or F.log_softmax instead of "
            "torch.log(softmax)); for one unit use F.binary_cross_entropy_with_logits.",
            explains=EXPLAINS,
        )
    ]


def _numpy_log_zero(obs: Observations, bad: StepRecord) -> Finding:
    """NumPy: the check fed the user's loss perfect 0/1 predictions and got NaN or inf
    (log(0) evaluated unguarded), and the recorded loss did turn non-finite."""
    return Finding(
        id=ID,
        kind=KIND,
        severity="error",
        confidence=0.85,
        title=f"Your loss gives NaN or inf once a predicted probability reaches exactly 0 or "
        f"1 (log(0)), and the loss became {bad.loss} at step {bad.step}",
        where="the loss function given to nndoctor.numpy.check",
        evidence={
            "loss_on_perfect_predictions": "not finite",
            "first_nonfinite_step": bad.step,
        },
        fix="Clip the probabilities before the log: a = np.clip(a, 1e-7, 1 - 1e-7), or "
        "compute the loss from the scores z: np.logaddexp(0, z) - y * z for a sigmoid.",
        explains=EXPLAINS,
    )
