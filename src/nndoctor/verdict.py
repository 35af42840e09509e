"""When a trained copy counts as better: shared by the fix trials and the label control.

A fix trial ends in one of three verdicts. FIXED: the fixed copy is clearly
better than the unfixed one (`fixed`). INCONCLUSIVE: it is not, and neither
copy did better on the held rows than a constant guess of the most common
class; two copies that both learned nothing say nothing about the fix (the
trial was too short or too chaotic for either to start learning).
NOT_HELPED: it is not, and at least one copy learned, so the comparison
stands.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MIN_MARGIN = 0.05  # accuracy points: a smaller gain is not called a fix
LOSS_RATIO = 0.8  # regression: the fixed copy's held loss must be at most 80% of the other's
LOWER_IS_BETTER = frozenset({"loss", "cross-entropy"})  # the other metrics are accuracies
# A held accuracy is a ratio of row counts computed in float32: two readings of the
# same count differ by far less than this, and one row of 10,000 by more.
COUNT_SLACK = 1e-6
FIXED, NOT_HELPED, INCONCLUSIVE = "fixed", "did not help", "inconclusive"
# The rate of a second copy for a fix that swaps sigmoid/tanh for ReLU with He init: the
# user's rate was set where the gradient vanished, and with every layer now getting a
# gradient of order 1 it can overshoot. x0.1 is the first rate lr-too-high tries. On
# bench/cases/torch/deep_digits.py under torch seeds 0-4, the swapped copy at the user's
# rate learned for seeds 0-1 and ended at or below the constant guess for seeds 2-4,
# which learned (0.50-0.88 held accuracy) at x0.3, x0.1 and x0.03 alike.
SWAP_LR_FACTOR = 0.1
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


def constant_guess(class_counts: Iterable[int], balanced: bool = False) -> float:
    """The held accuracy of a model that predicts one class for every row, at best:
    the most common class's share of the rows, or 1/K for a balanced accuracy."""
    counts = [int(c) for c in class_counts if c > 0]
    if not counts:
        return math.nan
    return 1 / len(counts) if balanced else max(counts) / sum(counts)


def judge(metric: str, before: float, after: float, samples: int, trivial: float | None) -> str:
    """FIXED, NOT_HELPED or INCONCLUSIVE for a trial (see the module docstring).

    `trivial` is the held metric of a constant guess (`constant_guess`), None when
    the metric has none here (a loss): such a trial is never inconclusive.
    """
    if fixed(metric, before, after, samples):
        return FIXED
    if trivial is not None and math.isfinite(trivial) and metric not in LOWER_IS_BETTER:
        learned = [v for v in (before, after) if math.isfinite(v) and v > trivial + COUNT_SLACK]
        if not learned:
            return INCONCLUSIVE
    return NOT_HELPED


def validated(outcome: str) -> bool | None:
    """A verdict as the report's `validated`: True, False, or None when inconclusive."""
    return None if outcome == INCONCLUSIVE else outcome == FIXED


def best_factor(factors: tuple[float, ...], losses: list[float]) -> float:
    """The LR range probe's pick: the factor of the lowest finite loss, when that loss is
    clearly (LOSS_RATIO) below the loss at the user's rate (factor 1); else 1."""
    user = losses[factors.index(1.0)]
    finite = [(v, f) for v, f in zip(losses, factors, strict=True) if math.isfinite(v)]
    if not finite:
        return 1.0
    value, factor = min(finite)
    return factor if fixed("loss", user, value, 0) else 1.0
