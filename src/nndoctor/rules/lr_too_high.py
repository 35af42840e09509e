"""Steps so large that the loss diverges, oscillates or goes NaN.

## What it does
Measures the update/weight ratio of each step, and whether the loss rises far
above its start or becomes NaN, in the recorded training and in the
tiny-batch trial of your own step.

## Why is this bad?
An update that changes the weights by a tenth of their size or more jumps
over the minimum: the loss bounces or explodes, ReLU units die in the first
steps and softmax saturates. A healthy ratio is about 1e-3 (CS231n).

## Example
```python
W1 -= 10.0 * dW1
```

## Use instead
```python
W1 -= 0.1 * dW1          # lower by factors of 10 until the loss falls smoothly
```
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules import dead_relu
from nndoctor.rules._baseline import MIN_STEPS, baseline, final_level
from nndoctor.rules._signals import collapsed_class, median, trace_ratios, weight_ratios
from nndoctor.rules.inputs_not_normalized import OFF_SCALE

ID = "lr-too-high"
KIND = "cause"
# 10x the ~1e-3 guideline (CS231n). A large ratio alone is no proof: the first
# step from small initial weights (0.01 * randn) measures 0.2-0.8 in healthy
# runs (our seed_002_fixed), so the rule also needs the training to have failed.
TOO_HIGH = 1e-2
DIVERGED = 3.0  # the loss ends 3x above where it started: diverging, not noisy
STALLED = 0.5  # or stays above half its start while predictions collapse
EXPLAINS = (
    "nan-loss",
    "loss-plateau",
    "prediction-collapse",
    "dead-relu",
    "exploding-gradient",
    "no-better-than-baseline",
)


INPUT_SCALE_CONFIDENCE = 0.6  # below inputs-not-normalized's 0.8: that cause comes first
EARLY_STEPS = 10  # recorded steps that count as the start of training
REPLACED = 1.0  # an update as large as the weights replaces them instead of adjusting them
RELAPSE = 3.0  # the last quarter sits 3x above the best loss reached: it learned, then lost it


def check(obs: Observations) -> list[Finding]:
    losses = [r.loss for r in obs.trace if r.loss is not None]
    ratios = weight_ratios(obs) or trace_ratios(obs)
    if not ratios or median(ratios) <= TOO_HIGH:
        return _early_blowup(obs, losses) or _relapse(losses)
    ratio = median(ratios)
    finite = [v for v in losses if math.isfinite(v)]
    diverged = bool(finite) and (
        len(finite) < len(losses) or (len(finite) >= 5 and finite[-1] > DIVERGED * finite[0])
    )
    trial = obs.overfit
    trial_diverged = trial is not None and not trial.after <= DIVERGED * trial.before
    collapsed = collapsed_class(obs) is not None and (
        not finite or finite[-1] > STALLED * finite[0] or _stalled(finite)
    )
    trivial = not (diverged or trial_diverged or collapsed) and _no_better_than_constant(
        obs, finite
    )
    # CS231n: "with a learning rate set too high ... as much as 40% of your network
    # can be dead". Dead units with steps this large, and a loss that stayed above
    # half its start, are the rate's doing.
    killed = (
        not (diverged or trial_diverged or collapsed or trivial)
        and bool(finite)
        and finite[-1] > STALLED * finite[0]
        and bool(dead_relu.check(obs))
    )
    if not (diverged or trial_diverged or collapsed or trivial or killed):
        # The run got over it, but its first steps replaced the weights and threw the
        # loss up: a rate that works on this seed by luck (mcfly's RMSprop at 0.1).
        return _early_blowup(obs, losses, recovered=True)
    evidence: dict[str, object] = {
        "update_ratio_median": float(f"{ratio:.3g}"),
        "expected_around": 1e-3,
    }
    if finite:
        evidence["loss_first"], evidence["loss_last"] = finite[0], losses[-1]
    if collapsed:
        evidence["predictions"] = "collapsed onto one class"
    if trivial:
        evidence["loss_of_constant_prediction"] = trivial
    if killed:
        evidence["relu_units"] = "most output 0 for every input"
    if trial:
        evidence["tiny_batch_trial"] = f"loss {trial.before:.4g} -> {trial.after:.4g}"
    confidence = 0.85 if diverged or trial_diverged else 0.7
    inputs = obs.data.inputs if obs.data else None
    if inputs is not None and max(inputs.std, abs(inputs.mean)) > OFF_SCALE:
        # The first layer's gradient grows with its inputs: off-scale inputs make
        # every step large, so the rate is a suspect behind the input scale.
        confidence = INPUT_SCALE_CONFIDENCE
        evidence["inputs_off_scale"] = True
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=confidence,
            title=f"Each update changes the weights by {ratio:.2g} of their size (about 1e-3 is "
            "typical) and training "
            + (
                "diverges"
                if diverged or trial_diverged
                else "collapses onto one class"
                if collapsed
                else "ends no better than a constant prediction"
                if trivial
                else "kills the ReLU units"
            ),
            where="the learning rate of your update",
            evidence=evidence,
            fix=f"Lower the learning rate about {max(10, round(ratio / 1e-3, -1)):.0e}x, then tune "
            "by factors of 3 to 10.",
            explains=EXPLAINS,
        )
    ]


def _early_blowup(obs: Observations, losses: list[float], recovered: bool = False) -> list[Finding]:
    """The first steps replaced the weights and the loss jumped: later medians hide it
    once the units died and updates went to zero. A run that `recovered` gets a warning:
    such steps leave where training lands to chance (mcfly#43: the runs above 0.03
    sometimes stop learning)."""
    early = [v.value for r in obs.trace[:EARLY_STEPS] for v in r.update_ratios]
    first = [v for v in losses[:EARLY_STEPS] if math.isfinite(v)]
    if not early or len(first) < 2 or max(early) <= REPLACED:
        return []
    if max(first) <= DIVERGED * first[0]:
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning" if recovered else "error",
            confidence=0.6 if recovered else 0.8,
            title=f"The first updates were {max(early):.2g}x the size of the weights and the "
            f"loss jumped from {first[0]:.3g} to {max(first):.3g}"
            + (", though the run recovered this time" if recovered else ""),
            where="the learning rate of your update",
            evidence={
                "update_ratio_max_early": float(f"{max(early):.3g}"),
                "loss_first": first[0],
                "loss_peak_early": max(first),
                "expected_around": 1e-3,
            },
            fix="Lower the learning rate about 10x, until the first steps lower the loss."
            if recovered
            else f"Lower the learning rate about {max(10, round(max(early) / 1e-3, -1)):.0e}x, "
            "then tune by factors of 3 to 10.",
            explains=EXPLAINS,
        )
    ]


def _no_better_than_constant(obs: Observations, losses: list[float]) -> float | None:
    """The trivial predictor's loss when the run ended at or above it: it learned nothing.

    With updates 10x the guideline, that failure is the rate's doing whatever
    symptom it took (dead units, a few classes predicted, a flat loss): on
    another CPU the same lr-3.0 run kills a few units less and stops collapsing
    onto one class, but it stays at the constant predictor's loss.
    """
    base = baseline(obs)
    if base is None or base.loss is None or len(losses) < MIN_STEPS:
        return None
    level, _ = final_level(losses)
    return float(f"{base.loss:.4g}") if level >= base.loss else None


def _stalled(losses: list[float]) -> bool:
    """The last quarter of the run no longer moves (relative spread under 1e-3)."""
    tail = losses[-max(5, len(losses) // 4) :]
    return len(losses) >= 10 and (max(tail) - min(tail)) <= 1e-3 * abs(sum(tail) / len(tail))


def _relapse(losses: list[float]) -> list[Finding]:
    """The loss fell, then jumped back up and stayed there (whatever the ratio measured)."""
    finite = [v for v in losses if math.isfinite(v)]
    if len(finite) < 20:
        return []
    tail = sorted(finite[-len(finite) // 4 :])
    level, best = tail[len(tail) // 2], min(finite)
    if not (level > RELAPSE * best and level > STALLED * finite[0]):
        return []
    at = finite.index(best)
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.6,
            title=f"The loss fell to {best:.3g}, then jumped back to {level:.3g} and stayed: "
            "steps too large",
            where="the learning rate of your update",
            evidence={
                "loss_first": finite[0],
                "loss_best": best,
                "best_at_record": at,
                "loss_last_quarter_median": level,
            },
            fix="Lower the learning rate about 10x (and check the gradient is a batch mean, "
            "not a sum, so the step does not grow with the batch size).",
            explains=("loss-plateau", "prediction-collapse", "no-better-than-baseline"),
        )
    ]
