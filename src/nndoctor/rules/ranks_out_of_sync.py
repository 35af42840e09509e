"""The ranks train different models.

## What it does
Under `torchrun`, each rank records the sum and the sum of squares of all its
parameters (float64) after its sampled steps. Rank 0 compares them with the
other ranks' at the same step: replicas kept in sync by
`DistributedDataParallel` hold the same weights after every step.

## Why is this bad?
Each rank then trains its own model on its own share of the data: the model
rank 0 saves has seen 1/N of it, and N processes give nothing a single one
would not. The usual causes: the model is not wrapped in
`DistributedDataParallel`, gradients are averaged by hand wrongly, or the
ranks start from different weights (no common seed and no broadcast).

## Example
```python
model = Net()                       # each rank steps alone
```

## Use instead
```python
model = DistributedDataParallel(Net())   # gradients all-reduced every step
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules.ranks_same_data import pairs

ID = "ranks-out-of-sync"
KIND = "cause"
# All-reduced gradients are identical on every rank, so synchronised replicas
# agree bit for bit; 1e-6 relative leaves room for a reduction order that
# differs between ranks (float32 sums differ in the 7th digit).
TOLERANCE = 1e-6
MIN_STEPS = 2


def check(obs: Observations) -> list[Finding]:
    compared = pairs(obs)
    apart = [(a, b) for a, b in compared if _differ(a.weights, b.weights)]
    if len(compared) < MIN_STEPS or len(apart) < MIN_STEPS:
        return []
    first, other = apart[0]
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"The ranks' weights differ after {len(apart)} of {len(compared)} steps "
            "compared: each process trains its own model",
            where="the model: not wrapped in DistributedDataParallel, or ranks started apart",
            evidence={
                "step": first.step,
                "rank_0_weight_sum": first.weights[0],
                f"rank_{other.rank}_weight_sum": other.weights[0],
                "steps_compared": len(compared),
                "steps_apart": len(apart),
            },
            fix="Wrap the model in DistributedDataParallel(model) after moving it to its "
            "device, with the same seed on every rank, so gradients are all-reduced each step.",
        )
    ]


def _differ(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return any(abs(x - y) > TOLERANCE * max(abs(x), abs(y), 1.0) for x, y in zip(a, b, strict=True))
