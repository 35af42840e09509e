"""`DistributedSampler.set_epoch` is never called.

## What it does
Under `torchrun`, records the epoch number a shuffling `DistributedSampler`
holds each time a pass over the data starts. When it starts two passes or
more and the number never changes, `set_epoch` was never called.

## Why is this bad?
A `DistributedSampler` shuffles with `seed + epoch`: without `set_epoch`,
every epoch visits the samples in the same order, so the shuffling the
script asked for happens once. Training is then as if unshuffled after the
first epoch, which slows or biases it (PyTorch's own documentation of
`DistributedSampler`: "calling set_epoch() ... is necessary to make shuffling
work properly across multiple epochs").

## Example
```python
for epoch in range(epochs):
    for x, y in loader: ...
```

## Use instead
```python
for epoch in range(epochs):
    sampler.set_epoch(epoch)
    for x, y in loader: ...
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "sampler-epoch-not-set"
KIND = "cause"


def check(obs: Observations) -> list[Finding]:
    passes = [p for p in obs.sampler_passes if p.shuffle]
    if len(passes) < 2 or len({p.epoch for p in passes}) > 1:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.9,
            title=f"The DistributedSampler started {len(passes)} passes over the data, all at "
            f"epoch {passes[0].epoch}: every epoch visits the samples in the same order",
            where="the training loop: DistributedSampler.set_epoch is never called",
            evidence={"passes": len(passes), "epoch_every_pass": passes[0].epoch},
            fix="Call sampler.set_epoch(epoch) at the start of every epoch, before iterating "
            "the DataLoader.",
        )
    ]
