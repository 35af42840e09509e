"""After training, the model does no better than a trivial predictor.

## What it does
Computes the trivial predictor from the label/target profile (the class
frequencies, each tag's base rate, the mean or median target) and its loss
in your loss: the label entropy H(p) for cross-entropy, the mean of H(p_j)
over tags for binary cross-entropy, the target variance for MSE, the mean
absolute deviation from the median for L1. Reports when the loss the run
ended at (mean of its last tenth of steps) is not below that baseline by
two standard errors (of the final loss, from its spread over those steps, and
of the baseline, from the number of targets it was estimated on), or when the
final training accuracy is not above the majority-class rate by two standard
errors. A loss that is non-negative by its math (a cross-entropy, a squared
or absolute error) going negative is decisive on its own: the targets are not
what the loss assumes (masks stored as 0/255 under binary cross-entropy).
For NumPy code checked with `nndoctor.numpy.check`, the checks' own verdict
counts too: when one training step leaves weight arrays unchanged, the
predictions do not depend on the input and the step cannot halve the loss of
a tiny batch, the model can output only a constant, whatever its loss did.

## Why is this bad?
A falling loss can hide a run that learned nothing from its inputs: the loss
drops from its random start to the cost of predicting the label frequencies,
or the mean target, and stays there. Accuracy at the majority-class rate on
imbalanced data looks high and is worth nothing. Such a run is never healthy.

## Example
```python
opt = torch.optim.SGD(model.parameters(), lr=1e-7)   # regression loss stays at var(y)
```

## Use instead
Fix the cause reported with it. When nndoctor names none, check that the
inputs reach the model, that inputs and labels still correspond, and that
the model can overfit a tiny batch.
"""

from __future__ import annotations

import math

from nndoctor.findings import Finding, plural
from nndoctor.observations import Observations
from nndoctor.rules._baseline import (
    MIN_STEPS,
    STANDARD_ERRORS,
    baseline,
    final_level,
    paired_regression,
)
from nndoctor.rules._model import loss_label
from nndoctor.rules._task import LOSS_FAMILIES, NON_NEGATIVE, task

ID = "no-better-than-baseline"
KIND = "symptom"
# A mean of float32 terms that are each >= 0 rounds to at worst about -1e-7;
# -1e-4 is three orders beyond rounding.
NEGATIVE = -1e-4
# reduction='sum' scales the loss by the batch: a first loss at least half the
# batch size times the trivial loss per sample is a sum, whose baseline we do not know.
SUMMED_SHARE = 0.5
# As the overfit-tiny-batch experiment: a step that fits a tiny batch halves its loss
# within the trial (the trial runs up to 200 steps on 16 examples).
OVERFIT_SHARE = 0.5
METRICS_MIN = 2  # as accuracy-stuck: a single recorded accuracy may be the first epoch's


def check(obs: Observations) -> list[Finding]:
    return _negative(obs) or _against_baseline(obs) or _checks_failed(obs)


def _against_baseline(obs: Observations) -> list[Finding]:
    """The final training loss or accuracy against the trivial predictor's."""
    losses = obs.losses
    if len(losses) < MIN_STEPS:
        return []
    if obs.model is not None and obs.model.other_models:
        return []  # an adversarial loss (a GAN's) is not judged against a constant predictor
    base = baseline(obs)
    if base is None:
        return []
    evidence: dict[str, object] = {
        "task": base.task.kind,
        "task_from": base.task.source,
        "trivial_predictor": base.predictor,
        "targets_profiled": base.samples,
    }
    loss_stuck = False
    if base.loss is not None and not _summed(obs, losses[0], base.loss):
        paired = paired_regression(obs, base.task.loss_family) if base.task.regression else None
        if paired is not None:
            level, trivial, gap_error = paired
            margin = STANDARD_ERRORS * gap_error
            evidence["compared_on"] = "the same recorded batches"
        else:
            level, level_error = final_level(losses)
            trivial = base.loss
            margin = STANDARD_ERRORS * math.hypot(level_error, base.loss_error)
        loss_stuck = level >= trivial - margin
        evidence.update(
            loss_final=float(f"{level:.4g}"),
            loss_baseline=float(f"{trivial:.4g}"),
            margin=float(f"{margin:.3g}"),
        )
    accuracy = _final_accuracy(obs)
    acc_stuck = acc_beats = False
    if accuracy is not None and base.accuracy is not None:
        acc_margin = STANDARD_ERRORS * base.accuracy_error
        acc_stuck = accuracy <= base.accuracy + acc_margin
        acc_beats = not acc_stuck
        evidence.update(
            accuracy_final=round(accuracy, 4),
            majority_rate=round(base.accuracy, 4),
            accuracy_margin=round(acc_margin, 4),
        )
    # A loss above the baseline beside an accuracy that beats the majority rate
    # is a penalty term or an overconfident model, not a model that learned nothing.
    if not (acc_stuck or (loss_stuck and not acc_beats)):
        return []
    if acc_stuck:
        title = (
            f"Training accuracy {accuracy:.3g} is no better than predicting the majority "
            f"class ({base.accuracy:.3g})"
        )
    else:
        title = (
            f"The training loss ended at {evidence['loss_final']:.4g}, no better than "
            f"{base.predictor} ({evidence['loss_baseline']:.4g})"
        )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.85,
            title=title,
            where="the training loss and accuracy against the trivial predictor",
            evidence=evidence,
            fix="Fix the causes listed above it. Check that the inputs reach "
            "the model, that inputs and labels still correspond, and that the model can "
            "overfit a tiny batch.",
        )
    ]


def _checks_failed(obs: Observations) -> list[Finding]:
    """NumPy's own checks all failed: the step leaves weights unchanged, the predictions
    do not depend on the input, and the step cannot fit a tiny batch. Such a model
    can only output a constant, whatever the loss in the loop did."""
    update, ev, trial = obs.update, obs.evaluation, obs.overfit
    if update is None or ev is None or trial is None:
        return []
    update_failed = not update.changed or bool(update.unchanged)
    overfit_failed = not trial.after < OVERFIT_SHARE * trial.before
    if not (update_failed and not ev.predict_varies and overfit_failed):
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.8,
            title=f"The model cannot learn from its inputs: one step left "
            f"{plural(len(update.unchanged), 'weight array')} unchanged, its predictions "
            f"ignore the input, and it cannot fit {plural(trial.examples, 'example')}",
            where="the update, input-dependence and tiny-batch checks",
            evidence={
                "unchanged_by_one_step": list(update.unchanged),
                "predictions_vary_with_input": ev.predict_varies,
                "tiny_batch_loss_before": float(f"{trial.before:.4g}"),
                "tiny_batch_loss_after": float(f"{trial.after:.4g}"),
                "tiny_batch_steps": trial.steps,
            },
            fix="Fix the causes listed above it. Check that every weight gets a non-zero "
            "gradient (units that start identical, or all at 0, stay so), that the "
            "update writes into the arrays the forward pass reads, and that the "
            "prediction reads its input.",
        )
    ]


def _negative(obs: Observations) -> list[Finding]:
    """A loss that cannot be negative by its math went negative: decisive."""
    loss = obs.model.loss if obs.model else None
    family = LOSS_FAMILIES.get(loss or "")
    if family not in NON_NEGATIVE or obs.model is None or obs.model.handwritten_loss:
        return []
    losses = obs.losses
    if not losses or min(losses) >= NEGATIVE:
        return []
    labels = obs.data.labels if obs.data else None
    evidence: dict[str, object] = {
        "loss": loss,
        "loss_min": float(f"{min(losses):.4g}"),
        "negative_steps": sum(1 for v in losses if v < NEGATIVE),
        "steps": len(losses),
    }
    if labels is not None:
        evidence["target_range"] = [labels.min, labels.max]
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95,
            title=f"The loss ({loss_label(obs.model)}) went negative ({min(losses):.4g}), "
            "which it cannot do on valid inputs and targets",
            where="the training loss",
            location=obs.model.loss_location,
            evidence=evidence,
            fix="Give the loss what its math assumes: targets in [0, 1] for binary "
            "cross-entropy (masks stored as 0/255: divide by 255), log-probabilities "
            "(log_softmax) for NLLLoss, class ids or probability rows for cross-entropy.",
        )
    ]


def _summed(obs: Observations, first: float, per_sample: float) -> bool:
    """The loss is summed over the batch (reduction='sum'), not averaged."""
    rows = obs.model.batch_rows if obs.model else None
    if not rows or rows < 4:
        return False
    t = task(obs)
    if t.regression and obs.data and obs.data.labels and obs.data.labels.mean is not None:
        labels = obs.data.labels
        # An untrained net outputs values of order 1: its squared error per sample
        # is about mean^2 + var + 1.
        per_sample = labels.mean**2 + (labels.std or 0.0) ** 2 + 1.0
    elif t.classes:
        per_sample = max(per_sample, math.log(t.classes))
    return first >= SUMMED_SHARE * rows * per_sample


def _final_accuracy(obs: Observations) -> float | None:
    """The last recorded training accuracy, when the recorded metric is one."""
    if task(obs).kind not in ("classification", "binary", "multi-label"):
        return None
    metrics = [r.metric for r in obs.trace if r.metric is not None and math.isfinite(r.metric)]
    if len(metrics) < METRICS_MIN or not all(0.0 <= m <= 1.0 for m in metrics):
        return None
    return metrics[-1]
