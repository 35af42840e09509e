"""The model predicts one class for nearly every input.

## What it does
Reads the predicted-class histogram of the last recorded steps; reports when
one class takes at least 95% of the predictions while the labels give it at
most 80%.

## Why is this bad?
It is the most common "my network does not learn" symptom: the loss finds a
cheap minimum (predict the frequent class, or the output that ignores the
input). The cause is elsewhere: the report lists the ones that explain it.

## Example
```text
epoch 3: every validation image predicted as class 0
```

## Use instead
Fix the cause reported with it (label encoding, learning rate,
initialisation, output activation...).
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._signals import collapsed_class

ID = "prediction-collapse"
KIND = "symptom"


def check(obs: Observations) -> list[Finding]:
    collapse = collapsed_class(obs)
    if collapse is None:
        return []
    top, share, label_share = collapse
    evidence: dict[str, object] = {"class": top, "prediction_share": round(share, 3)}
    if label_share is not None:
        evidence["label_share"] = round(label_share, 3)
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"The model predicts class {top} for {share:.0%} of inputs",
            where="predictions of the last recorded steps",
            evidence=evidence,
            fix="Fix the causes listed above it.",
        )
    ]
