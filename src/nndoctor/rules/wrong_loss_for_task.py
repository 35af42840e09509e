"""The loss does not fit the task.

## What it does
Compares the loss with the labels and the output width: a regression loss
(MSE, L1) on integer class ids with a single output, binary cross-entropy on
a one-hot problem of more than two classes, a categorical cross-entropy over a
single output unit.

## Why is this bad?
MSE on class ids treats class 9 as "nine times class 1" and rewards
predicting the average id: the model hedges towards the middle classes.
Binary cross-entropy on K > 2 one-hot classes trains K independent yes/no
questions, and Keras then reports binary accuracy, which looks high (90% for
10 classes by predicting all zeros) while the model has learned nothing.
A categorical cross-entropy normalises the outputs over the classes: over one
unit that distribution is always [1], so the loss is 0 (Keras) or constant for
every input and no gradient reaches the weights.

## Example
```python
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
loss = nn.MSELoss()(model(x).squeeze(), y.float())      # y: class ids 0..9
```

## Use instead
```python
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
loss = nn.CrossEntropyLoss()(model(x), y)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import LabelStats, Observations
from nndoctor.rules._model import last_layer_location, loss_label
from nndoctor.rules._task import LOSS_FAMILIES

ID = "wrong-loss-for-task"
KIND = "cause"
MIN_CLASSES = 3  # ids 0/1 under MSE is a (poor but) working binary regression
# Class ids start at 0 or 1 and each is shared by many samples; a measurement in whole
# numbers (a disease score of 25..346, a count) rarely repeats: the diabetes targets
# average 1.4 samples a value, digits ~180 a class. 3 a value separates them.
SAMPLES_PER_CLASS = 3
EXPLAINS = (
    "loss-plateau",
    "prediction-collapse",
    "accuracy-stuck",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    model, data = obs.model, obs.data
    labels = data.labels if data else None
    if model is None or labels is None:
        return []
    width = model.output_width or 0
    if (
        model.loss in ("mse", "l1")
        and labels.encoding == "ids"
        and width == 1
        and labels.n_classes >= MIN_CLASSES
        and _class_ids(labels)
    ):
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.8,
                title=f"{loss_label(model)} regresses {labels.n_classes} class ids with one output",
                where=f"{loss_label(model)} on the labels",
                location=model.loss_location,
                evidence={
                    "loss": model.loss,
                    "output_units": width,
                    "label_encoding": "ids",
                    "classes": labels.n_classes,
                },
                fix=f"Give the last layer {labels.n_classes} outputs and use CrossEntropyLoss "
                "(Keras: softmax + sparse_categorical_crossentropy).",
                explains=EXPLAINS,
            )
        ]
    if (
        model.loss in ("mse", "l1")
        and labels.encoding == "ids"
        and width > 1
        and labels.n_classes >= MIN_CLASSES
        and labels.max < width
    ):
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.8,
                title=f"{loss_label(model)} on class ids for a {width}-unit classifier",
                where=f"{loss_label(model)} on the labels",
                location=model.loss_location,
                evidence={
                    "loss": model.loss,
                    "output_units": width,
                    "label_encoding": "ids",
                    "classes": labels.n_classes,
                },
                fix="Use CrossEntropyLoss on the raw scores with the class ids as they are "
                "(Keras: sparse_categorical_crossentropy); a regression loss treats class 3 "
                "as 'more' than class 2.",
                explains=EXPLAINS,
            )
        ]
    if (
        LOSS_FAMILIES.get(model.loss or "") == "categorical"
        and width == 1
        and labels.encoding in ("ids", "binary")
        and labels.n_classes >= 2
    ):
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.9,
                title=f"{loss_label(model)} over a single output unit: a distribution over "
                "one class is always [1], so the loss cannot depend on the weights",
                where=f"{loss_label(model)} on the one-unit output",
                location=model.loss_location or last_layer_location(model),
                evidence={
                    "loss": model.loss,
                    "output_units": 1,
                    "classes": labels.n_classes,
                    "label_encoding": labels.encoding,
                },
                fix="Use binary cross-entropy on the one sigmoid unit (Keras "
                "loss='binary_crossentropy'; PyTorch BCEWithLogitsLoss on the raw output), "
                "or give the last layer one unit per class with a softmax.",
                explains=EXPLAINS,
            )
        ]
    if (
        model.loss in ("bce", "bce_logits")
        and labels.encoding == "one-hot"
        and labels.n_classes > 2
    ):
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.8,
                title=f"Binary cross-entropy on a {labels.n_classes}-class one-hot problem",
                where=f"{loss_label(model)} on one-hot labels",
                location=model.loss_location or last_layer_location(model),
                evidence={
                    "loss": model.loss,
                    "classes": labels.n_classes,
                    "label_encoding": "one-hot",
                },
                fix="Use softmax + categorical cross-entropy (PyTorch: CrossEntropyLoss on raw "
                "scores with class ids).",
                explains=EXPLAINS,
            )
        ]
    return []


def _class_ids(labels: LabelStats) -> bool:
    """Whole-number targets that look like class ids, not a count or a score."""
    occupied = sum(1 for c in labels.counts if c > 0)
    return labels.min <= 1 and occupied > 0 and sum(labels.counts) >= SAMPLES_PER_CLASS * occupied
