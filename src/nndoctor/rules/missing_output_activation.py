"""A loss that expects probabilities gets raw scores.

## What it does
Compares the model's output with what the loss expects: `NLLLoss` expects
log-probabilities (`log_softmax`), `BCELoss` and Keras' losses with
`from_logits=False` expect probabilities. nndoctor reports raw, unbounded
outputs fed to them.

## Why is this bad?
`NLLLoss` on raw scores simply maximises the score of the true class without
bound: the loss runs off to minus infinity while accuracy stays poor. Keras'
cross-entropy clips raw scores into [1e-7, 1], so most of them give the same
loss and no gradient: accuracy freezes after one epoch.

## Example
```python
out = self.fc2(h)                    # raw scores
loss = F.nll_loss(out, y)
```

## Use instead
```python
loss = F.nll_loss(F.log_softmax(out, dim=1), y)    # or F.cross_entropy(out, y)
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import last_layer_location, loss_label

ID = "missing-output-activation"
KIND = "cause"
EXPLAINS = (
    "loss-plateau",
    "prediction-collapse",
    "accuracy-stuck",
    "nan-loss",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None or model.output_activation is None:
        return []
    expects, activation = model.loss_expects, model.output_activation
    if expects == "log_probabilities" and activation not in ("log_softmax",):
        fix = ("Apply log_softmax at the end of forward (F.log_softmax(x, dim=1)), or drop it "
               "and use CrossEntropyLoss / F.cross_entropy on the raw scores.")
        wanted = "log-probabilities"
    elif expects == "probabilities" and activation == "linear":
        fix = ("Add the output activation (softmax for K classes, sigmoid for one unit), or "
               "tell the loss it gets raw scores: from_logits=True in Keras, "
               "BCEWithLogitsLoss / CrossEntropyLoss in PyTorch.")
        wanted = "probabilities"
    else:
        return []
    return [Finding(
        id=ID, kind=KIND, severity="error", confidence=0.9,
        title=f"{loss_label(model)} expects {wanted} but the last layer outputs "
        + ("probabilities" if activation in ("softmax", "sigmoid") else "raw scores"),
        where=f"the model's output ({model.last_layer or activation}) fed to {loss_label(model)}",
        location=last_layer_location(model),
        evidence={"loss": model.loss, "loss_expects": expects, "output_activation": activation,
                  "last_layer": model.last_layer},
        fix=fix,
        explains=EXPLAINS,
    )]
