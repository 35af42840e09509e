"""The loss or the outputs became NaN or Inf.

## What it does
Checks every recorded loss and the network output on the sample batch for
non-finite values.

## Why is this bad?
Once a NaN enters the weights every later step is NaN: training is over,
whatever the printout says. Causes: a learning rate that explodes the
weights, `log(0)` in a hand-written loss, `exp` overflow, NaN in the data.

## Example
```python
cost = -np.mean(Y * np.log(A))          # log(0) = -inf when A hits 0
```

## Use instead
```python
cost = -np.mean(Y * np.log(np.clip(A, 1e-12, 1.0)))
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "nan-loss"
KIND = "symptom"


def check(obs: Observations) -> list[Finding]:
    bad = [r.step for r in obs.trace if r.nonfinite]
    output_bad = obs.output.nonfinite if obs.output else 0
    if not bad and not output_bad:
        return []
    evidence: dict[str, object] = {}
    if bad:
        evidence["first_nonfinite_step"] = bad[0]
        evidence["nonfinite_steps"] = len(bad)
    if output_bad:
        evidence["nonfinite_outputs_on_sample"] = output_bad
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=1.0,
            title=f"The loss became NaN/Inf at step {bad[0]}"
            if bad
            else "The network outputs NaN/Inf on the sample batch",
            where="the training loss" if bad else "the network output",
            evidence=evidence,
            fix="Lower the learning rate, clip the arguments of log/exp in the loss, and check the "
            "data for NaN.",
        )
    ]
