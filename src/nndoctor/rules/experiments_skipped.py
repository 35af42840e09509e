"""nndoctor skipped its experiments on copies of the model, and says why.

## What it does
Notes (severity info) that the experiments that run after the script on
copies of the model (tiny-batch overfit, shuffled-label control, learning-rate
range, fix trials) did not run although they were not turned off, with the
reason: the copies they train would not fit nndoctor's memory budget (about
nine copies of the parameters: the initial weights, then two training copies
with their gradients and optimizer state, within 1 GB), or the script trains
several models.

## Why is this bad?
It is not: the diagnosis from the training itself is complete; only the
checks on copies, and the fix trials that validate a fix, are missing.

## Example
```text
nndoctor run train_large_model.py
```

## Use instead
Nothing to change. `--no-experiments` skips them on purpose and silences this.
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "experiments-skipped"
KIND = "symptom"


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or not model.experiments_skipped or model.other_models:
        return []  # several models: the several-models note says it
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="info",
            confidence=1.0,
            title="No experiment or fix trial ran on copies of the model: "
            f"{model.experiments_skipped}",
            where=f"{model.name} ({model.n_params:,} parameters)",
            evidence={"reason": model.experiments_skipped, "n_params": model.n_params},
            fix="Nothing to change; the diagnosis of the training itself is complete.",
        )
    ]
