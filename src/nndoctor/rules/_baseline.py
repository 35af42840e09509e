"""The trivial predictor of a run, computed from its label/target profile.

A model that learned nothing from its inputs can still output the best
constant: the class frequencies (its cross-entropy is the label entropy H(p)),
each tag's base rate (binary cross-entropy H(p_j) per tag), the mean target
(its MSE is the target variance) or the median target (its L1 loss is the mean
absolute deviation). A run has learned something only once it does better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nndoctor.observations import Observations
from nndoctor.rules._task import Task, task

# Two standard errors: a one-sided test at about 2.3% false alarms when the
# estimates are roughly normal (the tail mean of many steps, a plug-in entropy
# or a sample variance of tens of rows are).
STANDARD_ERRORS = 2.0
MIN_STEPS = 10  # as loss-plateau: fewer recorded steps say nothing about an end state
TAIL_SHARE = 10  # the final level: the mean of the last tenth of the steps...
TAIL_MIN = 5  # ...but at least 5 of them
PAIRS_MIN = 8  # recorded batches with their target spread, for the paired comparison


@dataclass(frozen=True)
class Baseline:
    """The trivial predictor's loss and accuracy, with the standard error of each."""

    task: Task
    predictor: str  # what the trivial predictor predicts, for a person
    loss: float | None  # in the run's own loss
    loss_error: float
    accuracy: float | None  # majority-class rate (mean over tags for multi-label)
    accuracy_error: float
    samples: int  # targets the estimate was computed from


def baseline(obs: Observations) -> Baseline | None:
    """The trivial predictor of this run, or None when its loss has no known baseline."""
    t = task(obs)
    labels = obs.data.labels if obs.data else None
    if labels is None:
        return None
    if t.kind == "regression":
        n, variance, deviation = target_spread(obs)
        # Sampling error of a sample variance of n normal values: var * sqrt(2 / (n - 1)).
        rel = math.sqrt(2 / max(n - 1, 1))
        if t.loss_family == "squared" and variance is not None:
            return Baseline(t, "the mean target", variance, variance * rel, None, 0.0, n)
        if t.loss_family == "absolute" and deviation is not None:
            return Baseline(t, "the median target", deviation, deviation * rel, None, 0.0, n)
        return None
    if t.kind == "multi-label" and labels.encoding == "multi-hot" and labels.counts:
        n = obs.data.n_samples if obs.data else 0  # rows or columns: the profile's samples
        rates = [min(c / n, 1.0) for c in labels.counts] if n else []
        if not rates:
            return None
        loss = sum(_binary_entropy(p) for p in rates) / len(rates)
        acc = sum(max(p, 1 - p) for p in rates) / len(rates)
        err = math.sqrt(sum(_entropy_variance((p, 1 - p)) for p in rates) / n) / len(rates)
        acc_err = math.sqrt(sum(p * (1 - p) for p in rates) / n) / len(rates)
        return Baseline(t, "each tag's base rate", loss, err, acc, acc_err, n)
    if t.kind in ("classification", "binary"):
        counts = class_counts(obs)
        n = sum(counts)
        if n < MIN_STEPS or len(counts) < 2:
            return None
        if t.kind == "binary" and (labels.min < 0 or labels.max > 1):
            return None  # not a probability target: only a negative loss proves it
        probs = [c / n for c in counts]
        loss = -sum(p * math.log(p) for p in probs if p > 0)
        err = math.sqrt(_entropy_variance(probs) / n)
        majority = max(probs)
        acc_err = math.sqrt(majority * (1 - majority) / n)
        family = t.loss_family
        known = family in ("categorical", "binary")
        return Baseline(
            t,
            "the class frequencies" if t.kind == "classification" else "the base rate",
            loss if known else None,
            err,
            majority,
            acc_err,
            n,
        )
    return None


def target_spread(obs: Observations) -> tuple[int, float | None, float | None]:
    """(targets, variance, mean absolute deviation) of the regression targets.

    The recorded batches' spreads, pooled, when there are more of their rows than
    in the profiled sample: one batch of 32 rows misjudges a variance by 25%.
    Spreads about each batch's own mean slightly underestimate the spread about
    the global mean, which can only make the baseline easier to beat.
    """
    spreads = [r.target_spread for r in obs.trace if r.target_spread]
    rows = sum(s[0] for s in spreads)
    labels = obs.data.labels if obs.data else None
    profiled = obs.data.n_samples if obs.data and labels else 0
    if spreads and rows > profiled:
        variance = sum(s[0] * s[1] for s in spreads) / rows
        deviation = sum(s[0] * s[2] for s in spreads) / rows
        return int(rows), variance, deviation
    if labels is None:
        return 0, None, None
    return profiled, labels.column_variance, labels.column_abs_deviation


def class_counts(obs: Observations) -> tuple[int, ...]:
    """The label histogram: the recorded batches' summed, or the profiled sample's.

    The batches of sorted data each hold one class, so the first batch alone
    can miss classes. A probe that measures the same rows at every step (the
    Keras probe rows, a full batch) records one histogram again and again: it
    counts once.
    """
    seen = [r.label_counts for r in obs.trace if r.label_counts]
    if len(set(seen)) == 1:
        seen = seen[:1]
    width = max((len(c) for c in seen), default=0)
    summed = [sum(c[i] for c in seen if i < len(c)) for i in range(width)]
    labels = obs.data.labels if obs.data else None
    profiled = list(labels.counts) if labels and labels.encoding in ("ids", "one-hot") else []
    best = max([summed, profiled], key=sum)
    return tuple(int(c) for c in best)


def final_level(losses: list[float]) -> tuple[float, float]:
    """The loss the run ended at (mean of its last steps) and that mean's standard error.

    The mean, not the median: per-batch losses are skewed to the right, and the
    trivial predictor's loss is an expectation, which the mean estimates.
    """
    tail = losses[-max(TAIL_MIN, len(losses) // TAIL_SHARE) :]
    mean = sum(tail) / len(tail)
    std = math.sqrt(sum((v - mean) ** 2 for v in tail) / max(len(tail) - 1, 1))
    return mean, std / math.sqrt(len(tail))


def _binary_entropy(p: float) -> float:
    return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)


def _entropy_variance(probs: tuple[float, ...] | list[float]) -> float:
    """Variance of -log p(y): n times the squared standard error of the plug-in entropy.

    The delta-method error of the maximum-likelihood entropy estimate (Basharin 1959).
    """
    h = -sum(p * math.log(p) for p in probs if p > 0)
    return sum(p * math.log(p) ** 2 for p in probs if p > 0) - h * h


def paired_regression(obs: Observations, family: str | None) -> tuple[float, float, float] | None:
    """(final loss, trivial loss, standard error of the gap) on the same recorded batches.

    Each sampled torch step records its loss and its batch's target spread, the
    loss the mean (or median) predictor would have on that very batch. Their
    ratio cancels the batch-to-batch swing of the targets, which a heavy-tailed
    target makes larger than any gap between a stuck run and its baseline.
    Read over the last quarter of those steps.
    """
    index = 1 if family == "squared" else 2 if family == "absolute" else 0
    pairs = [
        (r.loss, r.target_spread[index])
        for r in obs.trace
        if index
        and r.target_spread
        and r.loss is not None
        and math.isfinite(r.loss)
        and r.target_spread[index] > 0
    ]
    if len(pairs) < PAIRS_MIN:
        return None
    tail = pairs[-max(PAIRS_MIN, len(pairs) // 4) :]
    ratios = [loss / spread for loss, spread in tail]
    mean = sum(ratios) / len(ratios)
    std = math.sqrt(sum((r - mean) ** 2 for r in ratios) / (len(ratios) - 1))
    trivial = sum(spread for _, spread in tail) / len(tail)
    return mean * trivial, trivial, trivial * std / math.sqrt(len(ratios))
