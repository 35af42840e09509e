"""Weight decay or a penalty so strong the net cannot fit the training data.

## What it does
Reports a run whose penalty (the part of the differentiated loss that the
loss function did not produce, e.g. `loss + lam * sum(w**2)`) is at least
half of the total loss, or whose optimizer weight decay is 0.1 or more,
while the training loss stays high (the run plateaus or collapses).

## Why is this bad?
The gradient then mostly pulls the weights to zero: the model settles where
the penalty is small, not where the data is fitted, and predicts near the
class prior. Common weight decays are 1e-4 to 1e-2 (torch AdamW default
0.01).

## Example
```python
loss = F.cross_entropy(model(x), y) + 0.5 * sum((p ** 2).sum() for p in model.parameters())
```

## Use instead
```python
loss = F.cross_entropy(model(x), y) + 1e-4 * sum((p ** 2).sum() for p in model.parameters())
# or torch.optim.AdamW(model.parameters(), weight_decay=1e-2)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import loss_plateau, prediction_collapse

ID = "over-regularization"
KIND = "cause"
EXPLAINS = ("loss-plateau", "prediction-collapse", "accuracy-stuck", "no-better-than-baseline")
DOMINATES = 0.5  # TAXONOMY: "penalty term dominates the loss"
DECAY = 0.1  # 10x torch AdamW's default weight decay of 0.01


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None:
        return []
    share, decay = model.penalty_share, model.weight_decay
    heavy = (share is not None and share >= DOMINATES) or (decay is not None and decay >= DECAY)
    if not heavy:
        return []
    if not (loss_plateau.check(obs) or prediction_collapse.check(obs)):
        return []  # a strong penalty that still lets the net learn is a choice, not a fault
    evidence: dict[str, object] = {}
    if share is not None:
        evidence["penalty_share_of_loss"] = round(share, 3)
    if decay:
        evidence["weight_decay"] = decay
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.8,
            title=(
                f"The penalty is {share:.0%} of the loss you minimise"
                if share is not None and share >= DOMINATES
                else f"Weight decay {decay:g} pulls every weight to zero"
            )
            + " and the model stopped fitting the data",
            where="the regularisation term of the loss / the optimizer's weight_decay",
            location=model.optimizer_location,
            evidence=evidence,
            fix="Lower the penalty 100x (typical weight decay 1e-4 to 1e-2), then tune it on "
            "validation data.",
            explains=EXPLAINS,
        )
    ]
