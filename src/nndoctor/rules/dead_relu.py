"""A large share of ReLU units output 0 for every input.

## What it does
On sampled steps, measures per activation layer the fraction of units that
are zero (or negative, for leaky variants) for every sample of the batch, and
reports layers where at least half the units stay dead through the end of the
recorded run.

## Why is this bad?
A dead ReLU passes no gradient, so it never recovers: the layer shrinks to
its live units, and when all die the output no longer depends on the input.
Causes: a learning rate that throws the pre-activations negative in the first
steps, large negative biases, inputs far off scale. A healthy ReLU layer has
about half its values at zero but almost no unit at zero for every input.

## Example
```python
nn.init.constant_(layer.bias, -10.0)
```

## Use instead
```python
nn.init.zeros_(layer.bias)      # He init for weights; lower the LR if units die later
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import layers_phrase

ID = "dead-relu"
KIND = "cause"
DEAD = 0.5  # half the layer's units silent on every sample: a "large share" (TAXONOMY)
LAST = 3  # sustained over the last 3 sampled steps, not one unlucky batch
EXPLAINS = (
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "vanishing-gradient",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    samples = [r.dead_fractions for r in obs.trace if r.dead_fractions][-LAST:]
    if len(samples) < LAST:
        return []
    layers = {v.name for v in samples[-1]}
    dead = {name: min(v.value for s in samples for v in s if v.name == name) for name in layers}
    dead = {name: share for name, share in dead.items() if share >= DEAD}
    if not dead:
        return []
    names = ", ".join(sorted(dead))
    worst = max(dead.values())
    return [Finding(
        id=ID, kind=KIND, severity="error" if worst >= 0.9 else "warning",
        confidence=0.85,
        title=f"{worst:.0%} of the units of {layers_phrase(sorted(dead))} output 0 for every input",
        where=f"activation layer{'s' if len(dead) > 1 else ''} {names}",
        evidence={f"{name}.dead_fraction": round(share, 3) for name, share in dead.items()},
        fix="Initialise biases at 0 and weights with He init, lower the learning rate if units "
            "die during training, or use LeakyReLU.",
        explains=EXPLAINS,
    )]
