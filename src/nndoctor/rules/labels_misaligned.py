"""Inputs and labels lost their correspondence: the labels carry no learnable signal.

## What it does
The shuffled-labels control (an experiment run on copies of your model, on
rows your run trained on, in PyTorch, Keras and NumPy): one copy trains on
the real labels, one on the same labels shuffled, and both are measured on
held rows they never trained on. Reported when the real-label copy learns
its training rows (above the constant majority guess) no faster than the
shuffled copy learns random labels, while on the held rows it stays at the
majority guess. Without a decisive control, the memorisation signature is a
warning: a tiny batch is memorised while your script's own held-out accuracy
stays at chance as training improves.

It stays silent when your script's own held-out accuracy rose clearly above
the majority rate, and calls the control inconclusive when the copy learned
nothing even on its training rows, when fewer than 64 rows were held out,
when a bad initialisation or saturated activations can explain a copy that
does not generalise, or when the copy fit its rows only a little while
another cause that stops learning was found or your own run did learn.

## Why is this bad?
If real labels generalise no better than random ones, the pairing of inputs
and labels is broken: X and y shuffled separately, sorted differently, or
off by one. The model can memorise the training set, but learns nothing that
holds on new data, so validation accuracy stays at chance.

## Example
```python
X = X[np.random.permutation(len(X))]      # y is not permuted with it
```

## Use instead
```python
order = np.random.permutation(len(X))
X, y = X[order], y[order]                 # one permutation for both
```
"""

from __future__ import annotations

import math
from typing import Any

from nndoctor import verdict
from nndoctor.findings import Finding
from nndoctor.observations import LabelControl, Observations
from nndoctor.rules import (
    bad_init,
    dead_relu,
    double_softmax,
    exploding_gradient,
    grad_not_zeroed,
    inputs_not_normalized,
    labels_not_encoded,
    lr_too_high,
    lr_too_low,
    missing_output_activation,
    no_better_than_baseline,
    params_not_updated,
    saturated_activations,
    softmax_single_unit,
    validation_at_chance,
    vanishing_gradient,
    wrong_activation,
    wrong_loss_for_task,
)
from nndoctor.rules._baseline import baseline

ID = "labels-misaligned"
KIND = "cause"
EXPLAINS = ("accuracy-stuck", "loss-plateau", "no-better-than-baseline", "validation-at-chance")
MISALIGNED, ALIGNED, INCONCLUSIVE = "misaligned", "aligned", "inconclusive"
# Two binomial standard errors of a held accuracy are at most 1/sqrt(n)
# (verdict.margin): 0.125 at 64 held rows. With fewer, a copy that generalises
# weakly reads as "at chance" (8 held rows, as `--max-steps 1` leaves: 0.35), so
# "misaligned" needs 64 (a clear gain above chance is evidence at any size).
# 64 rows is what the controls hold at their defaults: 2 of 8 cached batches
# of 32 (PyTorch), one row in 4 of the 256 sampled (Keras).
MIN_HELD_ROWS = 64
# Causes that make a copy fit its rows without generalising whatever the labels
# (units pinned at a limit, weights far off scale): with one of them the control
# cannot speak for the labels.
CONFOUNDERS = (bad_init, saturated_activations)
# Causes that keep a copy from learning (a broken step, input scale, output or
# loss): with one of them, a copy that fits its training rows only a little (as
# little as random labels) shows that fault, not broken labels. On
# bench/cases/torch/digits_pixels.py (raw 0..16 pixels) the real-label copy fit 0.19
# of its rows, the shuffled one 0.27, held at chance.
HAMPERING = (
    inputs_not_normalized,
    lr_too_high,
    lr_too_low,
    exploding_gradient,
    vanishing_gradient,
    grad_not_zeroed,
    dead_relu,
    params_not_updated,
    wrong_activation,
    missing_output_activation,
    double_softmax,
    softmax_single_unit,
    wrong_loss_for_task,
    labels_not_encoded,
)
# A copy that fits only a little is weak evidence: it counts when no such cause is
# found and the user's own run is stuck at the trivial predictor (`_run_stuck`).
# A copy that fits at least half the way from the majority guess to every row has
# learned despite any of them: its memorising is what the labels allow. Measured on
# misaligned digits: 1.0 (PyTorch, NumPy, bench digits_adam), 0.26 for a Keras clone
# of 109 steps (weak: its run is stuck); hampered, correct labels: 0.19 (raw pixels).
MEMORISED_SHARE = 0.5
MEMORISED = 0.5  # the tiny batch's loss halved: diagnosis's overfit-tiny-batch "passed"
# Keras's history: the training accuracy "climbs" when it rose from one epoch to the
# next more often than a coin would (one-sided sign test, p < 0.05: all 5 rises of 6
# epochs, 7 of 8 rises), as the epoch means' own error is unknown without the row count.
SIGN_TEST_P = 0.05


def judge(control: LabelControl) -> str:
    """MISALIGNED, ALIGNED or INCONCLUSIVE, from the control alone."""
    held_margin = verdict.margin(control.held_samples)
    if control.real_held > control.chance + held_margin:
        return ALIGNED  # what the real labels taught holds on rows never trained on
    if control.real_held > control.shuffled_held + held_margin:
        return ALIGNED
    if control.held_samples < MIN_HELD_ROWS:
        return INCONCLUSIVE  # "at chance" on so few rows is no evidence
    train_margin = verdict.margin(control.train_samples or control.held_samples)
    train_chance = control.train_chance if control.train_chance is not None else control.chance
    if control.real_train <= train_chance + train_margin:
        return INCONCLUSIVE  # the copy learned nothing, even on its own rows: too short to tell
    if control.shuffled_train is not None and control.real_train > (
        control.shuffled_train + train_margin
    ):
        # Real labels are fitted faster than random ones when they carry a signal
        # (Zhang et al. 2017, "Understanding deep learning requires rethinking
        # generalization", fig. 1a): some signal is there, it just did not carry over.
        return INCONCLUSIVE
    return MISALIGNED


def outcome(obs: Observations) -> str | None:
    """The control's verdict with the run's other evidence; None without a control."""
    control = obs.label_control
    if control is None:
        return None
    if validation_at_chance.held_out_learned(obs):
        return ALIGNED
    found = judge(control)
    if found != MISALIGNED:
        return found
    if _confounded(obs, CONFOUNDERS):
        return INCONCLUSIVE
    if not _memorised(control) and (_confounded(obs, HAMPERING) or not _run_stuck(obs)):
        return INCONCLUSIVE
    return MISALIGNED


def check(obs: Observations) -> list[Finding]:
    found = outcome(obs)
    if found == ALIGNED or validation_at_chance.held_out_learned(obs):
        return []
    if found == MISALIGNED:
        assert obs.label_control is not None
        return [_from_control(obs.label_control)]
    return _signature(obs)


def _confounded(obs: Observations, rules: tuple[Any, ...]) -> bool:
    return any(f.is_problem for rule in rules for f in rule.check(obs))


def _run_stuck(obs: Observations) -> bool:
    """The user's own run did not beat the trivial predictor, or its held-out results
    stayed at it: what a copy that fits its rows only a little needs beside it. (On
    bench/cases/keras/digits_sgd.py, healthy, a clone of 91 SGD steps fit 0.25 of its
    rows, held at chance: too short, not misaligned.)"""
    return bool(no_better_than_baseline.check(obs) or validation_at_chance.check(obs))


def _memorised(control: LabelControl) -> bool:
    chance = control.train_chance if control.train_chance is not None else control.chance
    return control.real_train >= chance + MEMORISED_SHARE * (1 - chance)


def _from_control(control: LabelControl) -> Finding:
    return Finding(
        id=ID,
        kind=KIND,
        severity="error",
        confidence=0.8,
        title=f"Real labels generalise no better than shuffled ones: held accuracy "
        f"{control.real_held:.0%} vs {control.shuffled_held:.0%} (majority guess "
        f"{control.chance:.0%}) while the copy fits {control.real_train:.0%} of its training rows",
        where="the pairing of inputs and labels in your data",
        evidence={
            key: value
            for key, value in {
                "train_accuracy_real_labels": round(control.real_train, 3),
                "train_accuracy_shuffled_labels": _rounded(control.shuffled_train),
                "train_majority_guess": _rounded(control.train_chance),
                "held_accuracy_real_labels": round(control.real_held, 3),
                "held_accuracy_shuffled_labels": round(control.shuffled_held, 3),
                "held_majority_guess": round(control.chance, 3),
                "held_rows": control.held_samples,
                "steps": control.steps,
            }.items()
            if value is not None  # older traces do not hold the training-row fields
        },
        fix=FIX,
        explains=EXPLAINS,
    )


def _signature(obs: Observations) -> list[Finding]:
    """A tiny batch memorised while the script's held-out accuracy stays at chance."""
    trial = obs.overfit
    if trial is None or not trial.after < MEMORISED * trial.before:
        return []
    if _confounded(obs, CONFOUNDERS + HAMPERING):
        return []  # a step that cannot learn explains a held-out set at chance as well
    at_chance = validation_at_chance.check(obs)
    if at_chance:
        evidence = dict(at_chance[0].evidence)
    else:
        history = _history_at_chance(obs)
        if history is None:
            return []
        evidence = history
    evidence.update(tiny_batch_loss_before=trial.before, tiny_batch_loss_after=trial.after)
    if obs.label_control is not None:
        evidence["shuffled_labels_control"] = INCONCLUSIVE
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            # A signature, not a control: a held-out set prepared differently from
            # the training data shows it as well.
            confidence=0.6,
            title="The model memorises a tiny batch, yet your held-out accuracy stays at "
            "chance while training improves: the labels may not match their inputs",
            where="the pairing of inputs and labels in your data",
            evidence=evidence,
            fix=FIX,
            explains=EXPLAINS,
        )
    ]


def _history_at_chance(obs: Observations) -> dict[str, object] | None:
    """The script's own history: training accuracy climbs epoch over epoch while the
    held-out accuracy never rises clearly above the majority rate (Keras val_accuracy)."""
    held = [h.accuracy for h in obs.held_out if h.accuracy is not None]
    train = [r.metric for r in obs.trace if r.metric is not None]
    if len(held) < validation_at_chance.MIN_EPOCHS or len(train) < 2:
        return None
    if validation_at_chance.held_out_learned(obs):
        return None
    base = baseline(obs)
    if base is None or base.accuracy is None or base.task.regression:
        return None
    pairs = len(train) - 1
    rises = sum(b > a for a, b in zip(train, train[1:], strict=False))
    chance = sum(math.comb(pairs, k) for k in range(rises, pairs + 1)) / 2**pairs
    if chance >= SIGN_TEST_P:
        return None
    return {
        "train_accuracy_first": round(train[0], 4),
        "train_accuracy_final": round(train[-1], 4),
        "epochs_rising": f"{rises} of {pairs}",
        "val_accuracy_best": round(max(held), 4),
        "majority_rate": round(base.accuracy, 4),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


FIX = (
    "Shuffle or split inputs and labels with one permutation (or "
    "train_test_split(X, y)), and check that X[i] still goes with y[i]."
)
