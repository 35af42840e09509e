"""The script trains several models; one of them was diagnosed.

## What it does
Notes (severity info) that more than one optimizer stepped, each holding the
parameters of a different model (a GAN's generator and discriminator, a
teacher and a student). nndoctor diagnoses the model of the first optimizer
that stepped; the other models' steps and losses are left out of its trace,
no experiment runs on copies (a copy of one model trained alone would not
replay the game the models play), and `loss-plateau` is not judged (the loss
of a model trained against another need not fall). The note names the models.

## Why is this bad?
It is not: it says what the diagnosis covers. Read as one trace, two models'
losses look like a loss that jumps between two levels, a discriminator's real
and fake halves look like a penalty term and one-class batches.

## Example
```python
opt_d = torch.optim.Adam(discriminator.parameters())
opt_g = torch.optim.Adam(generator.parameters())
```

## Use instead
Nothing to change. To diagnose the other model, watch it alone:
`with nndoctor.torch.watch(generator, opt_g): ...`.
"""

from __future__ import annotations

from pathlib import Path

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "several-models"
KIND = "symptom"


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or not model.other_models:
        return []
    where = model.optimizer_location
    stepped = f" stepped at {Path(where.file).name}:{where.line}" if where else ""
    diagnosed = f"{model.name} ({model.n_params:,} parameters, {model.optimizer}{stepped})"
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="info",
            confidence=1.0,
            title=f"The script trains {len(model.other_models) + 1} models; "
            f"this diagnosis is of {diagnosed}, the first to step",
            where=f"the diagnosed model: {diagnosed}",
            location=model.optimizer_location,
            evidence={"diagnosed": diagnosed, "not_diagnosed": list(model.other_models)},
            fix="Nothing to change. To diagnose another model, watch it alone: "
            "with nndoctor.torch.watch(model, optimizer): ...",
        )
    ]
