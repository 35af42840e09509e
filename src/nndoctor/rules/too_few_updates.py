"""Training stops after far too few updates to learn.

## What it does
Counts the recorded training steps and looks at the loss when training ends;
compares with the tiny-batch trial, in which your own step, repeated, fits 16
examples.

## Why is this bad?
A network starting from random weights needs hundreds to thousands of
gradient steps. Calling a `fit` that does one step per call, or stopping
after a handful of iterations while the loss is still falling, leaves the
weights near their random start: the outputs barely differ between inputs
and the prediction is the same class for all of them.

## Example
```python
def fit(x, y, t1, t2):
    params -= 0.1 * grad(params, x, y)   # one step per call
    return unpack(params)
t1, t2 = fit(X, y, None, None)
```

## Use instead
```python
for epoch in range(200):
    t1, t2 = fit(X, y, t1, t2)           # or loop inside fit
```
"""

from __future__ import annotations

from nndoctor.findings import Finding, number, plural
from nndoctor.observations import Observations
from nndoctor.rules._run import cut_short
from nndoctor.rules._signals import still_falling

ID = "too-few-updates"
KIND = "cause"
# Fewer than 50 updates: a net trained from random weights needs hundreds at
# least (measured: our healthy NumPy and PyTorch examples take 200+ steps to
# level off); below 50 the loss of every one of them was still falling.
FEW_UPDATES = 50
FITS = 0.5  # the tiny-batch trial halves its loss: more steps of the same step do help
EXPLAINS = ("prediction-collapse", "accuracy-stuck", "no-better-than-baseline")


def check(obs: Observations) -> list[Finding]:
    if obs.run and obs.run.stopped_early:
        return []  # nndoctor itself stopped the run (--max-steps/--max-seconds)
    if cut_short(obs):
        return []  # a crash or Ctrl-C ended it: the script did not choose to stop there
    losses = [r.loss for r in obs.trace if r.loss is not None]
    steps = len(obs.trace)
    if not 0 < steps < FEW_UPDATES:
        return []
    falling = still_falling(losses)
    trial = obs.overfit
    helped = trial is not None and trial.steps > steps and trial.after < FITS * trial.before
    if not (falling or helped):
        return []
    evidence: dict[str, object] = {"recorded_steps": steps}
    if losses:
        evidence["loss_first"], evidence["loss_last"] = round(losses[0], 6), round(losses[-1], 6)
    if helped and trial:
        evidence["tiny_batch_trial"] = (
            f"{plural(trial.steps, 'step')} of your step on {plural(trial.examples, 'example')}"
            f": loss {number(trial.before)} -> {number(trial.after)}"
        )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.85 if falling and helped else 0.7,
            title=f"Training made only {steps} update{'s' if steps != 1 else ''} and stopped while "
            "the loss was still falling"
            if falling
            else f"Training made only {steps} update{'s' if steps != 1 else ''}; more steps of the "
            "same update fit the data",
            where="the training loop",
            evidence=evidence,
            fix="Run many more updates: loop over epochs (hundreds of steps at least) until the "
            "loss levels off, e.g. for epoch in range(200): params = fit(X, y, params).",
            explains=EXPLAINS,
        )
    ]
