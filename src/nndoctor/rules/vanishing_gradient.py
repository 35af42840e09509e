"""Gradients shrink layer by layer towards the input.

## What it does
On sampled steps, compares the gradient norm of the first weight layer with
the last one's; reports when the first layer gets less than 1/1000 of it
through the end of the recorded run.

## Why is this bad?
Layers near the input then barely change: the network behaves like its last
layer on random features. Each sigmoid layer multiplies the gradient by at
most 0.25, so eight of them cut it by ~10^5 (Glorot and Bengio, 2010).

## Example
```python
layers = []
for _ in range(10):
    layers += [nn.Linear(64, 64), nn.Sigmoid()]
```

## Use instead
```python
layers += [nn.Linear(64, 64), nn.ReLU()]     # with He init; or add normalisation/residuals
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "vanishing-gradient"
KIND = "cause"
VANISHED = 1e-3  # first/last gradient norm: three orders of magnitude lost on the way down
LAST = 3
# A gradient that fades before the first layers makes their updates tiny, and
# the median update ratio then reads like a low learning rate: lr-too-low is
# its mechanism here, and ranks after it.
EXPLAINS = (
    "loss-plateau",
    "accuracy-stuck",
    "prediction-collapse",
    "lr-too-low",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    ratios = []
    for record in [r for r in obs.trace if len(r.grad_norms) >= 3][-LAST:]:
        first, last = record.grad_norms[0].value, record.grad_norms[-1].value
        if last > 0:
            ratios.append(first / last)
    if len(ratios) < LAST or max(ratios) >= VANISHED:
        return []
    layers = obs.trace[-1].grad_norms or next(r.grad_norms for r in reversed(obs.trace)
                                               if r.grad_norms)
    return [Finding(
        id=ID, kind=KIND, severity="error", confidence=0.8,
        title=f"The first layer gets {max(ratios):.1e} of the last layer's gradient",
        where=f"gradients from {layers[-1].name} down to {layers[0].name}",
        evidence={"first_to_last_ratio": float(f"{max(ratios):.3g}"), "layers": len(layers),
                  "threshold": VANISHED},
        fix="Use ReLU (or GELU) hidden activations with He init, fewer layers, or add "
            "normalisation (BatchNorm/LayerNorm) or residual connections.",
        explains=EXPLAINS,
    )]
