"""NaN, Inf or constant values in the data or the labels.

## What it does
Scans the sample batch: non-finite inputs or labels, inputs with no
variation at all, labels with a single class.

## Why is this bad?
One NaN input makes the loss NaN; constant inputs carry no information; a
batch whose labels are all one class teaches the model to predict that class.

## Example
```python
X = df.values            # a column with missing values read as NaN
```

## Use instead
```python
X = np.nan_to_num(df.fillna(df.mean()).values)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "bad-data-values"
KIND = "cause"
EXPLAINS = ("nan-loss", "prediction-collapse", "loss-plateau", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    if obs.data is None:
        return []
    x, labels = obs.data.inputs, obs.data.labels
    problems: dict[str, object] = {}
    if x.nonfinite:
        problems["nonfinite_inputs"] = x.nonfinite
    if labels and labels.nonfinite:
        problems["nonfinite_labels"] = labels.nonfinite
    if x.std == 0 and obs.data.n_samples > 1:
        problems["constant_inputs"] = x.mean
    if (
        labels
        and labels.counts
        and sum(1 for c in labels.counts if c) == 1
        and obs.data.n_samples > 1
        and not _classes_seen_later(obs)
    ):
        problems["single_label_class"] = labels.counts.index(max(labels.counts))
    if not problems:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95,
            title="The data holds " + ", ".join(k.replace("_", " ") for k in problems),
            where="the sample batch",
            evidence=problems,
            fix="Clean the data before training: drop or impute NaN/Inf, remove constant features, "
            "and make sure batches hold more than one class.",
            explains=EXPLAINS,
        )
    ]


def _classes_seen_later(obs: Observations) -> bool:
    """Later batches hold other classes: the profiled first batch was one class only
    because the data is sorted (unshuffled-data), not because the labels are."""
    seen = {i for r in obs.trace if r.label_counts for i, c in enumerate(r.label_counts) if c}
    return len(seen) > 1
