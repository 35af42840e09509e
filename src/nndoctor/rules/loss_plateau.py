"""The loss stopped moving, often at chance level (ln K for K classes).

## What it does
Looks at the last quarter of the recorded losses: their spread (10th to 90th
percentile) relative to their level, their median against the first
quarter's (a noisy loss with no downward trend is a plateau too), whether they
are still far above zero, and whether they sit at the loss of a uniform guess
over K classes.

## Why is this bad?
A loss that stays exactly constant means nothing is learning (weights not
updated, gradients zero). A loss pinned at ln K means the model outputs the
same distribution for every input, as if it had not seen the data.

## Example
```text
Cost after iteration 0: 6.9628
Cost after iteration 100: 6.9628
Cost after iteration 200: 6.9628
```

## Use instead
Fix the cause reported with it; a healthy loss keeps falling, noisily,
until it levels off well below its start.
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._signals import chance_loss

ID = "loss-plateau"
KIND = "symptom"
MIN_STEPS = 10
FLAT = 1e-3  # the last quarter moves by less than 0.1% of its level: flat, not slow
LEARNED = 0.5  # ended below half the starting loss: the run learned, then levelled off
CHANCE = 0.05  # within 5% of ln K: a uniform guess
NO_TREND = 0.95  # last quarter's median within 5% of the first quarter's: no progress at all
TREND_STEPS = 20  # the trend test needs quarters of 5+ steps


def check(obs: Observations) -> list[Finding]:
    if obs.model is not None and obs.model.other_models:
        return []  # trained against another model (a GAN): its loss need not fall
    losses = [r.loss for r in obs.trace if r.loss is not None]
    if len(losses) < MIN_STEPS:
        return []
    tail = sorted(losses[-max(5, len(losses) // 4) :])
    level = tail[len(tail) // 2]
    # 10th-90th percentile range: one spike must not hide a plateau.
    low, high = tail[len(tail) // 10], tail[-1 - len(tail) // 10]
    spread = (high - low) / max(abs(level), 1e-12)
    head = sorted(losses[: max(5, len(losses) // 4)])
    start = head[len(head) // 2]
    flat = spread <= FLAT and level >= LEARNED * losses[0]
    no_trend = len(losses) >= TREND_STEPS and level >= NO_TREND * start
    if not (flat or no_trend) or level < 1e-3:
        return []
    chance = chance_loss(obs)
    at_chance = chance is not None and abs(level - chance) < CHANCE * chance
    evidence: dict[str, object] = {
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "relative_spread_last_quarter": float(f"{spread:.3g}"),
        "steps": len(losses),
    }
    if chance is not None:
        evidence["chance_level_lnK"] = round(chance, 4)
    exact = spread == 0
    if flat:
        title = (
            "The loss is exactly the same at every step"
            if exact
            else f"The loss stopped moving at {level:.4g}"
            + (" (chance level)" if at_chance else "")
        )
    else:
        evidence["median_first_quarter"], evidence["median_last_quarter"] = start, level
        title = (
            f"The loss did not improve over {len(losses)} steps (median {start:.4g} at the "
            f"start, {level:.4g} at the end)"
        )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9 if flat else 0.8,
            title=title,
            where="the training loss",
            evidence=evidence,
            fix="Fix the causes listed above it.",
        )
    ]
