"""An activation that cannot work for this net: none between layers, a deep sigmoid stack,
an output that cannot reach its targets.

## What it does
Reports (1) weight layers that feed each other directly, with no activation
between them (nndoctor sees the output object of one layer arrive as the
input of the next), and (2) three or more hidden sigmoid/tanh layers while
the gradient vanishes on its way to the input; (3) an output activation
that cannot give the targets: a sigmoid or ReLU for regression targets outside
its range, a sigmoid on K class outputs under a softmax cross-entropy.

## Why is this bad?
(1) A stack of linear layers is one linear map: it cannot learn a curved
decision boundary (circles, XOR, digits beyond a linear fit), however deep.
(2) A sigmoid passes back at most 0.25 of the gradient (tanh at most 1, and
far less once saturated), so each layer shrinks it: the first layers stop
learning (Glorot and Bengio, 2010).
(3) No weights make a sigmoid output 200; a sigmoid before CrossEntropyLoss
caps each class's probability at e / (e + K - 1), 0.23 for ten classes.

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
from nndoctor.rules._model import last_layer_location, loss_label
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
    unreachable = _unreachable_targets(obs) or _sigmoid_over_classes(obs)
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


def _sigmoid_over_classes(obs: Observations) -> list[Finding]:
    """A sigmoid on K >= 2 output units under a loss over K exclusive classes.

    Fed to a loss that applies softmax (CrossEntropyLoss, from_logits=True), the
    scores are squeezed into [0, 1]: the best probability a class can get is
    e / (e + K - 1), so the loss cannot fall below log(1 + (K - 1) / e), 1.46 for ten
    classes (the math). Fed as probabilities (Keras's categorical cross-entropy
    divides the outputs by their sum), the rows do not sum to 1 and each unit's
    gradient is damped by its own sigmoid's slope: it learns, slowly and unevenly.
    """
    model, labels = obs.model, obs.data.labels if obs.data else None
    width = model.output_width if model else None
    if model is None or model.output_activation != "sigmoid" or not width or width < 2:
        return []
    found = task(obs)
    if found.kind != "classification" or found.loss_family != "categorical":
        return []  # a regression loss on class targets is wrong-loss-for-task
    if labels and labels.encoding == "multi-hot":
        return []  # one decision per unit (multi-label): a sigmoid is right there
    bounded = model.loss_expects in ("logits", "ids")
    evidence: dict[str, object] = {
        "output_activation": "sigmoid",
        "output_units": width,
        "loss": loss_label(model),
        "loss_expects": model.loss_expects,
    }
    if bounded:
        evidence["lowest_reachable_loss"] = round(math.log(1 + (width - 1) / math.e), 3)
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error" if bounded else "warning",
            confidence=0.9 if bounded else 0.7,
            title=f"A sigmoid on {width} output units under {loss_label(model)}, a loss over "
            f"{width} exclusive classes"
            + (
                ": the scores it gets are stuck in [0, 1]"
                if bounded
                else ": the outputs do not sum to 1"
            ),
            where="the output layer's sigmoid",
            location=last_layer_location(model),
            evidence=evidence,
            fix="Drop the final sigmoid and let the loss apply softmax (PyTorch "
            "CrossEntropyLoss, Keras from_logits=True)"
            if bounded
            else "Use activation='softmax' on the output layer: one distribution over the "
            "classes (sigmoid is for independent yes/no outputs, with binary cross-entropy).",
            explains=EXPLAINS,
        )
    ]
