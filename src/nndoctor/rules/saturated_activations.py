"""Sigmoid or tanh units pinned at their limits, so their gradients vanish.

## What it does
On sampled steps, measures per sigmoid/tanh layer the fraction of units whose
values sit within 1% of the limits for most samples; reports layers where
half the units stay saturated and the loss is not falling.

## Why is this bad?
The derivative of a saturated sigmoid is ~0: the units below stop learning.
Causes: inputs far off scale (raw 0-255 pixels), weights initialised too
large, a learning rate that pushes pre-activations far out. A net that has
learned and is confident may saturate its output: that is healthy, and stays
a note.

## Example
```python
model = nn.Sequential(nn.Linear(784, 128), nn.Sigmoid(), nn.Linear(128, 10))
model(x_raw_pixels)                 # pre-activations in the hundreds
```

## Use instead
```python
model(x_raw_pixels / 255.0)         # and Xavier init; or ReLU hidden layers
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import layers_phrase

ID = "saturated-activations"
KIND = "cause"
SATURATED = 0.5  # half the units pinned at a limit
LAST = 3
LEARNED = 0.5  # the loss halved: the run learns despite it (saturated-but-correct)
EXPLAINS = (
    "loss-plateau",
    "vanishing-gradient",
    "prediction-collapse",
    "accuracy-stuck",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    samples = [r.saturated_fractions for r in obs.trace if r.saturated_fractions][-LAST:]
    if len(samples) < LAST:
        return []
    layers = {v.name for v in samples[-1]}
    pinned = {name: min(v.value for s in samples for v in s if v.name == name) for name in layers}
    pinned = {name: share for name, share in pinned.items() if share >= SATURATED}
    if not pinned:
        return []
    losses = obs.losses
    learning = len(losses) >= 2 and losses[-1] < LEARNED * losses[0]
    names = ", ".join(sorted(pinned))
    return [Finding(
        id=ID, kind=KIND, severity="info" if learning else "warning",
        confidence=0.5 if learning else 0.75,
        title=f"{max(pinned.values()):.0%} of the units of {layers_phrase(sorted(pinned))} "
              "are saturated"
              + (" (the loss still falls)" if learning else ""),
        where=f"activation layer{'s' if len(pinned) > 1 else ''} {names}",
        evidence={f"{name}.saturated_fraction": round(v, 3) for name, v in pinned.items()},
        fix="Normalise the inputs, initialise with Xavier/Glorot (nn.init.xavier_uniform_), "
            "lower the learning rate, or use ReLU in hidden layers.",
        explains=() if learning else EXPLAINS,
    )]
