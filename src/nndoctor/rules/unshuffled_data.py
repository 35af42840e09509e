"""Training batches come in label order, one class at a time, or a held-out cut of sorted rows.

## What it does
Reads the label histogram of the recorded batches: reports when most batches
hold a single class although the data has several. Compares the class mix of
the rows Keras's `validation_split` holds out (the last rows, cut before any
shuffling) with the rows it trains on.

## Why is this bad?
Each batch then pulls the model towards "always this class"; the model
forgets the previous classes as each new block arrives and ends the epoch
predicting the last one. With shuffled batches of 8 or more samples from K >= 2
classes, a one-class batch is rare (probability about K^(1-B)). A validation
split of sorted rows holds classes the model never trains on: validation
accuracy sits at or below chance while training accuracy climbs.

## Example
```python
loader = DataLoader(TensorDataset(x_sorted, y_sorted), batch_size=32)
```

## Use instead
```python
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import HeldOutSplit, Observations

ID = "unshuffled-data"
KIND = "cause"
MIN_BATCH = 8  # per-sample SGD has one class per batch by construction
ONE_CLASS = 0.95  # a batch whose top class holds 95% of it
SORTED = 0.8  # 80% of the recorded batches are one-class
EXPLAINS = (
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "no-better-than-baseline",
)
# The held-out and training class mixes differ by a total variation distance of 0.5 or
# more: half the held-out rows would have to change class for the mixes to agree. A
# random cut of MIN_HELD_OUT rows or more rarely differs by 0.3 (the distance of two
# samples of one mix shrinks as sqrt(K / n); Hoeffding puts 0.5 far in the tail).
SHIFTED = 0.5
MIN_HELD_OUT = 20


def check(obs: Observations) -> list[Finding]:
    return _sorted_split(obs.split) + _sorted_batches(obs)


def _sorted_split(split: HeldOutSplit | None) -> list[Finding]:
    if split is None or sum(split.held_out_counts) < MIN_HELD_OUT or not sum(split.train_counts):
        return []
    k = max(len(split.train_counts), len(split.held_out_counts))
    train = (*split.train_counts, *[0] * (k - len(split.train_counts)))
    held = (*split.held_out_counts, *[0] * (k - len(split.held_out_counts)))
    p = [c / sum(train) for c in train]
    q = [c / sum(held) for c in held]
    distance = sum(abs(a - b) for a, b in zip(p, q, strict=True)) / 2
    if distance < SHIFTED:
        return []
    unseen = sum(c for c, t in zip(held, train, strict=True) if t == 0) / sum(held)
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"The last {split.fraction:.0%} of the rows, held out by validation_split, "
            f"have another class mix than the rows trained on (distance {distance:.2f})",
            where="the order of the data given to fit (validation_split takes the last rows)",
            evidence={
                "validation_split": split.fraction,
                "train_class_counts": list(train),
                "held_out_class_counts": list(held),
                "total_variation": round(distance, 3),
            }
            | ({"held_out_rows_of_unseen_classes": round(unseen, 3)} if unseen else {}),
            fix="Shuffle x and y together before fit (perm = np.random.permutation(len(x)); "
            "x, y = x[perm], y[perm]), or pass validation_data from a stratified split.",
            explains=(*EXPLAINS, "validation-at-chance"),
        )
    ]


def _sorted_batches(obs: Observations) -> list[Finding]:
    batches = [
        r.label_counts for r in obs.trace if r.label_counts and sum(r.label_counts) >= MIN_BATCH
    ]
    if len(batches) < 5:
        return []
    single = [b for b in batches if max(b) >= ONE_CLASS * sum(b)]
    classes = {max(range(len(b)), key=lambda i: b[i]) for b in batches}
    if len(single) < SORTED * len(batches) or len(classes) < 2:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.85,
            title=f"{len(single)} of {len(batches)} recorded batches hold a single class",
            where="the order of the training data",
            evidence={
                "one_class_batches": len(single),
                "batches": len(batches),
                "classes_seen": len(classes),
            },
            fix="Shuffle the training data every epoch: DataLoader(..., shuffle=True), or "
            "x, y = x[perm], y[perm] with one permutation for both.",
            explains=EXPLAINS,
        )
    ]
