"""Input features on a large or offset scale.

## What it does
Profiles a sample of the inputs: overall mean and standard deviation, the
largest per-feature mean, and the spread of per-feature scales.

## Why is this bad?
Weights initialised for unit-scale inputs turn raw 0-255 pixels into
pre-activations in the hundreds: sigmoid and softmax saturate, gradients
vanish or the first steps overshoot. Inputs that are all positive also force
the first layer's weights to move together. LeCun et al., "Efficient
BackProp" (1998), section 4.3: shift inputs to mean 0 and scale them to
comparable unit variance.

## Example
```python
model.fit(images, labels)            # uint8 pixels, 0..255
```

## Use instead
```python
x = images.astype("float32") / 255.0           # or (x - mean) / std per feature
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "inputs-not-normalized"
KIND = "cause"
# 20x unit scale: a unit with 1/sqrt(fan_in) weights then sees pre-activations
# of std ~20, deep in sigmoid/tanh saturation (|z| > 5). Raw 0-16 digits
# (std ~6) stay under it; raw 0-255 pixels (std ~80-100) are far over.
OFF_SCALE = 20.0
SPREAD = 1e3  # per-feature std differing by 1000x: one feature drowns the rest
EXPLAINS = (
    "saturated-activations",
    "loss-plateau",
    "prediction-collapse",
    "nan-loss",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    if obs.data is None:
        return []
    x = obs.data.inputs
    evidence = {
        "mean": round(x.mean, 3),
        "std": round(x.std, 3),
        "min": x.min,
        "max": x.max,
        "largest_feature_mean": round(x.feature_mean_abs_max, 3),
    }
    if x.std > OFF_SCALE or abs(x.mean) > OFF_SCALE or x.feature_mean_abs_max > OFF_SCALE:
        scale = "255" if 100 < x.max <= 255 and x.min >= 0 else "x.std()"
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error" if x.std > 5 * OFF_SCALE or x.max >= 100 else "warning",
                confidence=0.8,
                title=f"Inputs are far from unit scale: mean {x.mean:.3g}, std {x.std:.3g}, range "
                f"[{x.min:g}, {x.max:g}]",
                where="the input data",
                evidence=evidence,
                fix=f"Normalise the inputs before training: x = x / {scale}"
                if scale == "255"
                else "Standardise each feature: x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-8), "
                "with the training set's mean and std.",
                explains=EXPLAINS,
            )
        ]
    varying = x.feature_std_min > 0
    if varying and x.feature_std_max / x.feature_std_min > SPREAD:
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="warning",
                confidence=0.6,
                title="Input features differ in scale by "
                f"{x.feature_std_max / x.feature_std_min:.0f}x",
                where="the input data",
                evidence=evidence
                | {"feature_std_min": x.feature_std_min, "feature_std_max": x.feature_std_max},
                fix="Standardise each feature: x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-8).",
                explains=EXPLAINS,
            )
        ]
    return []
