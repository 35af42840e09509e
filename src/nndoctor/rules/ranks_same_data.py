"""Every rank trains on the same samples.

## What it does
Under `torchrun`, each rank records two numbers of the input batch of its
sampled steps (the sum and the sum of squares, in float64). Rank 0 compares
them with the other ranks' at the same step: when they agree at every step
compared, every process was fed the same samples.

## Why is this bad?
N processes then do the work of one: each epoch is N copies of the same
batches, the effective batch is N copies of one batch, and the run takes as
long as on one process. Without a `DistributedSampler`, a `DataLoader` gives
every rank the whole dataset in the same order (same seed).

## Example
```python
loader = DataLoader(data, batch_size=32, shuffle=True)
model = DistributedDataParallel(net)
```

## Use instead
```python
sampler = DistributedSampler(data, shuffle=True)   # each rank its own share
loader = DataLoader(data, batch_size=32, sampler=sampler)
for epoch in range(epochs):
    sampler.set_epoch(epoch)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations, RankPrint

ID = "ranks-same-data"
KIND = "cause"
# Two different mini-batches of real data with the same float64 sum and sum of
# squares happen with negligible probability; 3 steps rule out a coincidence
# (a constant padding batch, say).
MIN_STEPS = 3


def pairs(obs: Observations) -> list[tuple[RankPrint, RankPrint]]:
    """(rank 0's print, another rank's) at the same step."""
    ours = {p.step: p for p in obs.ranks if p.rank == 0}
    return [(ours[p.step], p) for p in obs.ranks if p.rank != 0 and p.step in ours]


def check(obs: Observations) -> list[Finding]:
    compared = pairs(obs)
    if len(compared) < MIN_STEPS or any(a.batch != b.batch for a, b in compared):
        return []
    ranks = sorted({b.rank for _, b in compared} | {0})
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.9,
            title=f"All {len(ranks)} ranks trained on the same input batches at every one of "
            f"{len(compared)} steps compared",
            where="the training DataLoader: no DistributedSampler",
            evidence={
                "ranks": ranks,
                "steps_compared": len(compared),
                "steps_identical": len(compared),
            },
            fix="Give the DataLoader a DistributedSampler(data, shuffle=True) instead of "
            "shuffle=True, and call sampler.set_epoch(epoch) at the start of every epoch.",
        )
    ]
