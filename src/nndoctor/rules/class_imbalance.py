"""One class dominates the labels.

## What it does
Reads the label histogram summed over the recorded batches (or of the
profiled sample, when that holds more labels), never one batch alone: sorted,
unshuffled data fills each batch with one class although the data set is
balanced (that is `unshuffled-data`). Notes an imbalance (one class at 90%
or more), and raises it to a warning when the model collapses onto that
majority class: it predicts it almost everywhere and its loss ends no lower
than the class frequencies' (a model that beat them learned from its inputs).

## Why is this bad?
Predicting the majority class everywhere is a cheap minimum of the loss: the
accuracy looks high and the model has learned nothing. An imbalanced data
set that the model learns anyway is fine and gets a note only.

## Example
```python
y = np.r_[np.zeros(950), np.ones(50)]
```

## Use instead
```python
weights = len(y) / (2 * np.bincount(y))     # class weights in the loss, or resample
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._baseline import MIN_STEPS, STANDARD_ERRORS, baseline, class_counts, final_level
from nndoctor.rules._task import task

ID = "class-imbalance"
KIND = "cause"
DOMINANT = 0.9  # one class at >= 90% of labels
COLLAPSE = 0.95
EXPLAINS = ("prediction-collapse", "no-better-than-baseline")


PRED_BATCHES = 10  # the last recorded batches whose predictions are read together


def check(obs: Observations) -> list[Finding]:
    if task(obs).regression:
        return []  # integer regression targets (counts, ages) are not classes
    # Many batches, not the last one: one batch of sorted data holds one class.
    counts = class_counts(obs)
    if not counts or sum(counts) < 10:
        return []
    top = max(range(len(counts)), key=lambda i: counts[i])
    share = counts[top] / sum(counts)
    if share < DOMINANT:
        return []
    # The predictions of the last recorded batches together, as the labels: one batch of
    # 32 rows of 95/5 data holds one or two minority rows, so its share is noise.
    recent = [r.pred_counts for r in obs.trace if r.pred_counts][-PRED_BATCHES:]
    width = max((len(p) for p in recent), default=0)
    preds = tuple(sum(p[i] for p in recent if i < len(p)) for i in range(width))
    # A model that learned predicts the majority about as often as it occurs (95% of
    # 95/5 labels): collapse means it also takes at least half of the minority's share.
    collapsed = (
        bool(preds)
        and sum(preds) > 0
        and top < len(preds)
        and preds[top] / sum(preds) >= max(COLLAPSE, share + (1 - share) / 2)
        and not _beats_baseline(obs)
    )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning" if collapsed else "info",
            confidence=0.7 if collapsed else 0.5,
            title=f"Class {top} is {share:.0%} of the labels"
            + (" and the model predicts it almost everywhere" if collapsed else ""),
            where="the labels",
            evidence={"class": top, "label_share": round(share, 3), "label_counts": list(counts)},
            fix="Weight the loss by inverse class frequency or resample the minority classes, and "
            "judge the model by per-class recall, not accuracy.",
            explains=EXPLAINS if collapsed else (),
        )
    ]


def _beats_baseline(obs: Observations) -> bool:
    """The loss ended clearly below the class-frequency predictor's: the model learned
    from its inputs, so a majority share of its predictions is the data's, not a collapse
    (a rare class that is hard to separate is still predicted rarely)."""
    base = baseline(obs)
    if base is None or base.loss is None or len(obs.losses) < MIN_STEPS:
        return False
    level, error = final_level(obs.losses)
    return level < base.loss - STANDARD_ERRORS * math.hypot(error, base.loss_error)
