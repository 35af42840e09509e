"""An activation that cannot work for this net: no hidden activation, or a deep sigmoid stack.

## What it does
Reports (1) weight layers that feed each other directly, with no activation
between them (nndoctor sees the output object of one layer arrive as the
input of the next), and (2) three or more hidden sigmoid/tanh layers while
the gradient vanishes on its way to the input.

## Why is this bad?
(1) A stack of linear layers is one linear map: it cannot learn a curved
decision boundary (circles, XOR, digits beyond a linear fit), however deep.
(2) A sigmoid passes back at most 0.25 of the gradient (tanh at most 1, and
far less once saturated), so each layer shrinks it: the first layers stop
learning (Glorot and Bengio, 2010).

## Example
```python
model = nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 1))
```

## Use instead
```python
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                      nn.Linear(16, 1))
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import vanishing_gradient
from nndoctor.rules._model import last_layer_location
from nndoctor.rules._task import task

ID = "wrong-activation"
KIND = "cause"
EXPLAINS = (
    "loss-plateau",
    "accuracy-stuck",
    "prediction-collapse",
    "vanishing-gradient",
    "no-better-than-baseline",
)
DEEP = 3  # hidden sigmoid layers: 0.25^3 = 1/64 of the gradient at best (the math)
SQUASHING = ("Sigmoid", "Tanh")


def check(obs: Observations) -> list[Finding]:
    model = obs.model
    if model is None:
        return []
    unreachable = _unreachable_targets(obs)
    if unreachable:
        return unreachable
    weights = [layer for layer in model.layers if layer.kind in ("Linear", "Conv1d", "Conv2d")]
    if model.linear_stack and len(weights) >= 2:
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="warning",
                confidence=0.8,
                title=f"The {len(weights)} weight layers have no activation between them: "
                "the model is one linear map",
                where="the model's forward: between its weight layers",
                location=weights[1].location or weights[0].location,
                evidence={"weight_layers": len(weights), "activations_between": 0},
                fix="Put a nonlinearity after each hidden layer, e.g. nn.ReLU() in the "
                "Sequential or x = F.relu(self.fc1(x)) in forward.",
                explains=EXPLAINS,
            )
        ]
    squashing = [layer for layer in model.layers if layer.kind in SQUASHING]
    hidden = len(squashing) - (1 if model.last_layer in SQUASHING else 0)
    vanished = vanishing_gradient.check(obs)
    if hidden < DEEP or not vanished:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.85,
            title=f"{hidden} hidden sigmoid/tanh layers and the gradient vanishes on the way down",
            where="the hidden activations",
            location=squashing[0].location,
            evidence={"hidden_squashing_layers": hidden, **vanished[0].evidence},
            fix="Use ReLU (or GELU) hidden activations with He init "
            "(nn.init.kaiming_normal_), or add normalisation (nn.BatchNorm1d) between layers.",
            explains=EXPLAINS,
        )
    ]


# What each output activation can output, by its math.
OUTPUT_RANGE = {
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, math.inf),
}


def _unreachable_targets(obs: Observations) -> list[Finding]:
    """A regression whose mean target lies outside what the output activation can
    output: no weights can fit it (a sigmoid for targets 25..346, a ReLU for targets
    below 0). Decisive by the activation's math."""
    model, labels = obs.model, obs.data.labels if obs.data else None
    if model is None or labels is None or labels.mean is None or not task(obs).regression:
        return []
    bounds = OUTPUT_RANGE.get(model.output_activation or "")
    if bounds is None or bounds[0] <= labels.mean <= bounds[1]:
        return []
    low, high = bounds
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95,
            title=f"The output is a {model.output_activation}, which can only give values in "
            f"[{low:g}, {high:g}], but the regression targets average {labels.mean:.4g} "
            f"(from {labels.min:.4g} to {labels.max:.4g})",
            where=f"the output layer's {model.output_activation}",
            location=last_layer_location(model),
            evidence={
                "output_activation": model.output_activation,
                "output_range": [low, high],
                "target_mean": labels.mean,
                "target_min": labels.min,
                "target_max": labels.max,
            },
            fix=f"Remove the final {model.output_activation}: a regression output is linear "
            "(standardise the targets instead, and undo it on the predictions).",
            explains=(*EXPLAINS, "saturated-activations"),
        )
    ]
