"""Inputs and labels lost their correspondence: the labels carry no learnable signal.

## What it does
The shuffled-labels control (an experiment run on copies of your model, on
the first batches of your run): one copy trains on the real labels, one on
the same labels shuffled, and both are measured on held batches. Reported
when the real-label copy fits its training batches, yet on held batches it
does no better than the shuffled copy and no better than chance.

## Why is this bad?
If real labels generalise no better than random ones, the pairing of inputs
and labels is broken: X and y shuffled separately, sorted differently, or
off by one. The model can memorise the training set, but learns nothing that
holds on new data, so validation accuracy stays at chance.

## Example
```python
X = X[np.random.permutation(len(X))]      # y is not permuted with it
```

## Use instead
```python
order = np.random.permutation(len(X))
X, y = X[order], y[order]                 # one permutation for both
```
"""

from __future__ import annotations

from nndoctor import verdict
from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "labels-misaligned"
KIND = "cause"
EXPLAINS = ("accuracy-stuck", "loss-plateau", "no-better-than-baseline", "validation-at-chance")
FITS = 0.9  # the real-label copy fits its training batches: the model can learn


def check(obs: Observations) -> list[Finding]:
    control = obs.label_control
    if control is None or control.real_train < FITS:
        return []
    margin = verdict.margin(control.held_samples)
    if control.real_held > control.chance + margin:
        return []
    if control.real_held > control.shuffled_held + margin:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.8,
            title=f"Real labels generalise no better than shuffled ones: held accuracy "
            f"{control.real_held:.0%} vs {control.shuffled_held:.0%} (chance {control.chance:.0%})",
            where="the pairing of inputs and labels in your data",
            evidence={
                "train_accuracy_real_labels": round(control.real_train, 3),
                "held_accuracy_real_labels": round(control.real_held, 3),
                "held_accuracy_shuffled_labels": round(control.shuffled_held, 3),
                "chance": round(control.chance, 3),
                "steps": control.steps,
            },
            fix="Shuffle or split inputs and labels with one permutation (or "
            "train_test_split(X, y)), and check that X[i] still goes with y[i].",
            explains=EXPLAINS,
        )
    ]
