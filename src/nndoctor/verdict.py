"""When a trained copy counts as better: shared by the fix trials and the label control."""

from __future__ import annotations

import math

MIN_MARGIN = 0.05  # accuracy points: a smaller gain is not called a fix
LOSS_RATIO = 0.8  # regression: the fixed copy's held loss must be at most 80% of the other's
LOWER_IS_BETTER = frozenset({"loss", "cross-entropy"})  # the other metrics are accuracies
TYPICAL_UPDATE_RATIO = 1e-3  # |update| / |weights| per step of a working rate (CS231n)


def margin(samples: int) -> float:
    """Two binomial standard errors of an accuracy on `samples` held rows
    (at most 0.5 / sqrt(n) each), and never below MIN_MARGIN."""
    return max(MIN_MARGIN, 2 * 0.5 / math.sqrt(max(samples, 1)))


def better(value: float, best: float, metric: str) -> bool:
    """`value` beats `best`: higher (balanced) accuracy, or lower finite loss."""
    if not math.isfinite(value):
        return False
    if metric not in LOWER_IS_BETTER:
        return value > best
    return value < best or not math.isfinite(best)


def fixed(metric: str, before: float, after: float, samples: int) -> bool:
    """The fixed copy is clearly better than the unfixed one."""
    if metric not in LOWER_IS_BETTER:  # accuracy or balanced accuracy: higher is better
        return after >= before + margin(samples)
    return math.isfinite(after) and (not math.isfinite(before) or after <= LOSS_RATIO * before)


def best_factor(factors: tuple[float, ...], losses: list[float]) -> float:
    """The LR range probe's pick: the factor of the lowest finite loss, when that loss is
    clearly (LOSS_RATIO) below the loss at the user's rate (factor 1); else 1."""
    user = losses[factors.index(1.0)]
    finite = [(v, f) for v, f in zip(losses, factors, strict=True) if math.isfinite(v)]
    if not finite:
        return 1.0
    value, factor = min(finite)
    return factor if fixed("loss", user, value, 0) else 1.0
