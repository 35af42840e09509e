"""A squashing function applied twice: softmax or sigmoid before a loss that applies it again.

## What it does
Compares the model's output with what the loss expects. `CrossEntropyLoss`
and `BCEWithLogitsLoss` (Keras: `from_logits=True`) apply softmax/sigmoid
themselves and expect raw scores; nndoctor reports when the output already is
probabilities (rows in [0, 1] summing to 1, or every value in [0, 1]).

## Why is this bad?
Softmax of probabilities is nearly uniform: every class gets between e^0 and
e^1 of the mass, so the loss can hardly move from ln K and the gradients
shrink. The net learns very slowly or not at all.

## Example
```python
model = nn.Sequential(nn.Linear(64, 10), nn.Softmax(dim=1))
loss = nn.CrossEntropyLoss()(model(x), y)
```

## Use instead
```python
model = nn.Sequential(nn.Linear(64, 10))        # raw scores
loss = nn.CrossEntropyLoss()(model(x), y)       # softmax happens inside
probs = model(x).softmax(dim=1)                  # only where you need probabilities
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import last_layer_location, loss_label

ID = "double-softmax"
KIND = "cause"
EXPLAINS = (
    "loss-plateau",
    "prediction-collapse",
    "accuracy-stuck",
    "vanishing-gradient",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or model.loss_expects not in ("logits", "ids"):
        return []
    if model.loss not in ("cross_entropy", "bce_logits"):
        return []
    if model.output_width == 1 and model.output_activation == "softmax":
        return []  # softmax-single-unit: a different fault
    squashed = {"softmax": "softmax", "sigmoid": "sigmoid"}.get(model.output_activation or "")
    if squashed is None or (squashed == "sigmoid" and model.loss == "cross_entropy"
                            and (model.output_width or 0) > 1):
        return []
    where = f"the model's output ({model.last_layer or squashed}) fed to {loss_label(model)}"
    fix = ("Remove the final softmax/sigmoid from the model and keep the loss: it applies it "
           "itself (apply .softmax(dim=1) / .sigmoid() only when you need probabilities)."
           if model.loss == "cross_entropy" or model.loss == "bce_logits" else "")
    return [Finding(
        id=ID, kind=KIND, severity="error", confidence=0.95,
        title=f"The model already outputs {squashed} probabilities, and {loss_label(model)} "
              f"applies {squashed} again",
        where=where,
        location=last_layer_location(model),
        evidence={"loss": model.loss, "loss_expects": "logits",
                  "output_activation": model.output_activation,
                  "last_layer": model.last_layer},
        fix=fix,
        explains=EXPLAINS,
    )]
