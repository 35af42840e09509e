"""Weights initialised far off scale, or all units identical.

## What it does
Compares the standard deviation of each weight matrix with 1/sqrt(fan_in),
and looks for hidden units whose incoming weights are exact copies of each
other (zero or constant initialisation).

## Why is this bad?
With std 1 weights (unscaled `randn`) each layer multiplies the size of its
input by about sqrt(fan_in): 28x for 784 inputs. Pre-activations of hundreds
saturate sigmoids and softmax, and ReLU nets produce outputs so large that
the loss is dominated by a few units. Identical hidden units receive
identical gradients and stay identical forever: the layer works as one unit.
LeCun (1998) and Glorot and Bengio (2010) scale by 1/sqrt(fan_in); He et al.
(2015) by sqrt(2/fan_in) for ReLU.

## Example
```python
self.w1 = np.random.randn(784, 200)
```

## Use instead
```python
self.w1 = np.random.randn(784, 200) * np.sqrt(2 / 784)   # He, for ReLU
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import dead_relu
from nndoctor.rules._model import layers_phrase

ID = "bad-init"
KIND = "cause"
# std * sqrt(fan_in) above 10: each layer scales its input 10x beyond the
# LeCun/Glorot/He range (1 to 1.4), compounding over layers.
TOO_LARGE = 10.0
EXPLAINS = (
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "saturated-activations",
    "dead-relu",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    # fan_in >= 1 for any weight matrix; a trace edited by hand may say otherwise.
    large = [(layer, layer.std * math.sqrt(layer.fan_in)) for layer in obs.init if layer.fan_in > 0]
    large = [(layer, scale) for layer, scale in large if scale > TOO_LARGE]
    findings = []
    if large:
        names = ", ".join(layer.name for layer, _ in large)
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.9,
                title=f"Weights of {names} are {max(s for _, s in large):.0f}x larger than "
                "1/sqrt(fan_in)",
                where=f"initialisation of {names}",
                evidence={f"{layer.name}.std": round(layer.std, 4) for layer, _ in large}
                | {
                    f"{layer.name}.expected_std": round(1 / math.sqrt(layer.fan_in), 4)
                    for layer, _ in large
                },
                fix="Scale each weight matrix by its fan-in: W = np.random.randn(fan_in, fan_out) "
                "* np.sqrt(2 / fan_in) for ReLU (He), * np.sqrt(1 / fan_in) for sigmoid/tanh.",
                explains=EXPLAINS,
            )
        )
    symmetric = [
        layer
        for layer in obs.init
        if not layer.is_last and layer.identical_units == layer.n_units and layer.n_units > 1
    ]
    if symmetric:
        names = ", ".join(layer.name for layer in symmetric)
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.9,
                title=f"All units of {names} have identical weights, so they can never differ",
                where=f"initialisation of {names}",
                evidence={
                    f"{layer.name}.identical_units": f"{layer.identical_units} of {layer.n_units}"
                    for layer in symmetric
                },
                fix="Initialise hidden weights randomly to break the symmetry: "
                "W = np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in).",
                explains=EXPLAINS,
            )
        )
    dead = _dead_at_start(obs)
    if dead and not findings:
        names = ", ".join(name for name, _ in dead)
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.8,
                title=f"{max(v for _, v in dead):.0%} of the units of "
                f"{layers_phrase([name for name, _ in dead])} output 0 for every "
                "input before the first update",
                where=f"initialisation of the layers before {names}",
                evidence={f"{name}.dead_at_step_0": round(v, 3) for name, v in dead},
                fix="Initialise weights with He init (nn.init.kaiming_normal_) and biases at 0 "
                "(or small positive values); never large negative biases before a ReLU.",
                explains=EXPLAINS,
            )
        )
    return findings


def _dead_at_start(obs: Observations) -> list[tuple[str, float]]:
    """ReLU layers already dead on the first step, before any update: the init did it."""
    first = next((r for r in obs.trace if r.dead_fractions), None)
    if first is None or first.step != 0:
        return []
    return [(v.name, v.value) for v in first.dead_fractions if v.value >= dead_relu.DEAD]
