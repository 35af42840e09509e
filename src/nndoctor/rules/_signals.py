"""Measurements several rules read: derived from observations, never stored."""

from __future__ import annotations

import math

from nndoctor.observations import Observations
from nndoctor.rules._task import task

COLLAPSE_SHARE = 0.95  # one class takes >= 95% of predictions: "nearly every input" (TAXONOMY)
MAJORITY_SHARE = 0.80  # ...while the labels give that class at most 80%: not just the labels' mix


def n_classes(obs: Observations) -> int | None:
    if task(obs).regression:
        return None
    labels = obs.data.labels if obs.data else None
    widths = [obs.output.width if obs.output else 0, labels.n_classes if labels else 0]
    if obs.model and obs.model.output_width:
        widths.append(obs.model.output_width)
    k = max(widths)
    return k if k >= 2 else None


def chance_loss(obs: Observations) -> float | None:
    """Cross-entropy of a uniform guess over K classes: ln K."""
    k = n_classes(obs)
    return math.log(k) if k else None


def collapsed_class(obs: Observations) -> tuple[int, float, float | None] | None:
    """(class, share of predictions, share of labels) when the last recorded steps collapse."""
    if task(obs).regression:
        return None  # the sign of a regression output is not a predicted class
    recent = [r for r in obs.trace if r.pred_counts and sum(r.pred_counts) >= 10]
    if not recent:
        return None
    window = recent[-max(1, min(5, len(recent) // 5 or 1)) :]
    shares = []
    for record in window:
        total = sum(record.pred_counts or ())
        top = max(range(len(record.pred_counts or ())), key=lambda i: record.pred_counts[i])
        shares.append((top, record.pred_counts[top] / total))
    if any(share < COLLAPSE_SHARE for _, share in shares):
        return None
    top, share = shares[-1]
    labels = next((r.label_counts for r in reversed(recent) if r.label_counts), None)
    if labels is None and obs.data and obs.data.labels and obs.data.labels.counts:
        labels = obs.data.labels.counts
    label_share = (
        labels[top] / sum(labels) if labels and top < len(labels) and sum(labels) else None
    )
    if label_share is not None and label_share > MAJORITY_SHARE:
        return None
    return top, share, label_share


def still_falling(losses: list[float]) -> bool:
    """The loss was still going down clearly when training stopped.

    The last third of the steps brought at least a tenth of all the progress:
    a converged run brings almost none there.
    """
    if len(losses) < 3:
        return False
    first, last = losses[0], losses[-1]
    total = first - last
    if total <= 0.05 * abs(first):
        return False
    tail = losses[-max(2, len(losses) // 3) :]
    return tail[0] - tail[-1] >= 0.1 * total


def weight_ratios(obs: Observations) -> list[float]:
    """Update/weight ratios of the weight matrices (not biases) from the update check."""
    if obs.update is None:
        return []
    matrices = {layer.name for layer in obs.init}
    values = [r.value for r in obs.update.update_ratios if r.name in matrices or not matrices]
    return [v for v in values if math.isfinite(v) and v > 0]


def trace_ratios(obs: Observations) -> list[float]:
    """Median update/weight ratio of each recorded step."""
    medians = []
    for record in obs.trace:
        values = sorted(
            r.value for r in record.update_ratios if math.isfinite(r.value) and r.value > 0
        )
        if values:
            medians.append(values[len(values) // 2])
    return medians


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
