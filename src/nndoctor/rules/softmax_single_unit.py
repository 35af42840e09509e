"""Softmax over a single output unit: the output is always exactly 1.

## What it does
Reports a model whose output has one unit per sample and ends in a softmax
(a `Softmax` layer, `Dense(1, activation="softmax")`, or `F.softmax` on a
width-1 output: every output equals 1.0 on the first batch).

## Why is this bad?
Softmax normalises across units: with one unit, exp(z) / exp(z) = 1 for
every input. The prediction never changes, so the loss is constant, no
gradient reaches the weights, and accuracy is the share of the class the
constant stands for.

## Example
```python
model = nn.Sequential(nn.Linear(12, 1), nn.Softmax(dim=1))
loss = nn.BCELoss()(model(x), y)
```

## Use instead
```python
model = nn.Sequential(nn.Linear(12, 1), nn.Sigmoid())   # one unit: sigmoid
# or nn.Linear(12, 1) with nn.BCEWithLogitsLoss(), or two units with softmax
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import last_layer_location, loss_label

ID = "softmax-single-unit"
KIND = "cause"
EXPLAINS = (
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "params-not-updated",
    "no-better-than-baseline",
)
SOFTMAX_LAYERS = ("Softmax", "LogSoftmax", "softmax", "log_softmax")


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or model.output_width != 1:
        return []
    if model.output_activation != "softmax" and model.last_layer not in SOFTMAX_LAYERS:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95,
            title="The output is a softmax over a single unit, so it is 1.0 for every input",
            where=f"the model's output ({model.last_layer or 'softmax'}), {loss_label(model)}",
            location=last_layer_location(model),
            evidence={
                "output_width": 1,
                "last_layer": model.last_layer,
                "output_activation": model.output_activation,
            },
            fix="Use a sigmoid for one output unit (nn.Sigmoid() / activation='sigmoid'), or "
            "output raw scores to BCEWithLogitsLoss / from_logits=True; or use 2 units "
            "with softmax and a categorical loss.",
            explains=EXPLAINS,
        )
    ]
