"""A hand-written backward pass disagrees with the true gradient.

## What it does
Compares your gradient function with float64 central finite differences of
your own loss, on sampled entries of every parameter array, and checks that
computing the gradients leaves the weights as they were.

## Why is this bad?
Gradient descent follows whatever your backward pass returns. A wrong sign, a
mask on the wrong tensor or a missing factor sends every update in the wrong
direction: the loss stalls or the net learns one class. Relative error above
1e-2 means the formula is wrong (CS231n, "Gradient checks"); kinks of ReLU give
at most ~1e-4. Where most checked entries have both gradients at ~0 the units
are saturated or dead, and the check cannot judge the formula: the report
says so instead of blaming it.

## Example
```python
dA = dZ2 @ W2.T
dA[dA < 0] = 0          # masks on the gradient's sign
```

## Use instead
```python
dA = dZ2 @ W2.T
dA[Z1 <= 0] = 0         # mask where the forward pre-activation was <= 0
```
"""

from __future__ import annotations

import math
from dataclasses import replace

from nndoctor.findings import Finding
from nndoctor.observations import GradCheck, Observations

ID = "wrong-gradient"
KIND = "cause"
WRONG = 1e-2  # CS231n: relative error > 1e-2 "usually means the gradient is probably wrong"
FLAT = 0.75  # under a quarter of the checked entries carry a gradient: too flat to judge
SAME_SCALE = 0.01  # a uniform factor within 1% of the batch size is the sum-vs-mean convention
EXPLAINS = ("loss-plateau", "prediction-collapse", "accuracy-stuck", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    findings = []
    if obs.mutation and obs.mutation.mutated:
        names = ", ".join(obs.mutation.mutated)
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.9,
                title="Computing the gradients changes the weights",
                where=f"parameters {names}",
                evidence={"mutated_by_gradient_call": list(obs.mutation.mutated)},
                fix="Do not write into parameter arrays in the gradient code: work on a copy, "
                "e.g. reg = theta.copy(); reg[:, 0] = 0; grad += (lmbda / m) * reg",
                explains=EXPLAINS,
            )
        )
    if obs.gradcheck and obs.gradcheck.params:
        found = _from_gradcheck(obs.gradcheck)
        if obs.output is not None and obs.output.saturated:
            note = (
                "your output is saturated at your weights, so the check ran with each "
                "weight matrix rescaled to std 1/sqrt(fan_in)"
            )
            found = [replace(f, evidence={**f.evidence, "note": note}) for f in found]
        findings.extend(found)
    return findings


def _from_gradcheck(gc: GradCheck) -> list[Finding]:
    wrong = [p for p in gc.params if p.rel_error > WRONG and p.flat_fraction < FLAT]
    flat = [p for p in gc.params if p.rel_error > WRONG and p.flat_fraction >= FLAT]
    findings = []
    scale = gc.scale
    if scale is not None and abs(scale - 1) > SAME_SCALE:
        conventions = (gc.batch_size, 1 / gc.batch_size) if gc.batch_size > 1 else ()
        if any(abs(scale / c - 1) < SAME_SCALE for c in conventions):
            wrong = []  # the batch sum where the loss is the mean (or the reverse): lr absorbs it
        else:
            return [
                Finding(
                    id=ID,
                    kind=KIND,
                    severity="error",
                    confidence=0.9,
                    title=f"Every gradient is {scale:.3g}x the true gradient of your loss",
                    where="all parameters",
                    evidence={
                        "scale": round(scale, 6),
                        "batch_size": gc.batch_size,
                        **{f"{p.name}.rel_error": round(p.rel_error, 4) for p in gc.params},
                    },
                    fix="Look for a constant factor in the backward pass that the loss does not "
                    "have (e.g. a (1/2) where 1/m belongs): the gradient must be the derivative "
                    "of exactly the loss you minimise.",
                    explains=EXPLAINS,
                )
            ]
    if wrong:
        names = [p.name for p in wrong]
        correct = [p.name for p in gc.params if p.rel_error <= WRONG]
        hint = (
            "The last layer's gradients are right and the ones below are wrong, so the "
            "error enters where the gradient passes back through a hidden activation: "
            "check its derivative (ReLU: dA[Z <= 0] = 0 using the forward pre-activation Z, "
            "not the gradient; sigmoid: s * (1 - s) of the forward value)."
            if correct and gc.params[-1].name in correct
            else "Derive the backward pass of these arrays again and compare term by term "
            "with the forward pass."
        )
        evidence = {
            f"{p.name}.rel_error": (
                round(p.rel_error, 4) if math.isfinite(p.rel_error) else "shape mismatch"
            )
            for p in gc.params
        }
        worst = wrong[0].worst[0] if wrong[0].worst else None
        if worst:
            evidence["worst_entry"] = (
                f"{wrong[0].name}{list(worst.index)}: yours "
                f"{worst.analytic:.4g}, finite differences {worst.numeric:.4g}"
            )
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.95,
                title=f"Your gradients disagree with finite differences for {', '.join(names)}",
                where=f"gradients of {', '.join(names)}",
                evidence={**evidence, "threshold": WRONG, "correct": correct},
                fix=hint,
                explains=EXPLAINS,
            )
        )
    if flat:
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="info",
                confidence=0.3,
                title=f"Gradient check inconclusive for {', '.join(p.name for p in flat)}: "
                "units are saturated or dead",
                where=f"gradients of {', '.join(p.name for p in flat)}",
                evidence={f"{p.name}.flat_fraction": round(p.flat_fraction, 2) for p in flat},
                fix="Rerun the check on a batch where the units are active (e.g. right after "
                "initialisation) to judge the backward pass.",
            )
        )
    return findings
