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

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import vanishing_gradient

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
