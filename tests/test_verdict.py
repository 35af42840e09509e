"""The fix trials' verdict: fixed, did not help, or inconclusive (issue 14, item 9)."""

from __future__ import annotations

import math

from nndoctor import verdict
from nndoctor.observations import FixTrial


def test_a_constant_guess_scores_the_majority_share_or_one_over_k():
    assert verdict.constant_guess([8, 4, 0, 4]) == 0.5
    assert verdict.constant_guess([90, 10], balanced=True) == 0.5
    assert math.isnan(verdict.constant_guess([]))


def test_two_copies_at_the_constant_guess_are_inconclusive():
    # deep_digits on another machine: both copies predict one class on 64 held rows.
    assert verdict.judge("accuracy", 0.125, 0.125, 64, 0.125) == verdict.INCONCLUSIVE
    assert verdict.judge("accuracy", 0.125, 0.03, 64, 0.125) == verdict.INCONCLUSIVE
    assert verdict.judge("accuracy", 0.1, float("nan"), 64, 0.125) == verdict.INCONCLUSIVE


def test_a_copy_that_learned_makes_the_comparison_stand():
    assert verdict.judge("accuracy", 0.5, 0.5, 64, 0.125) == verdict.NOT_HELPED
    assert verdict.judge("accuracy", 0.125, 0.2, 64, 0.125) == verdict.NOT_HELPED
    assert verdict.judge("accuracy", 0.125, 0.8, 64, 0.125) == verdict.FIXED
    assert verdict.judge("balanced accuracy", 0.5, 0.5, 64, 0.5) == verdict.INCONCLUSIVE


def test_a_loss_trial_is_never_inconclusive():
    assert verdict.judge("loss", 2.0, 2.0, 64, None) == verdict.NOT_HELPED
    assert verdict.judge("loss", 2.0, 1.0, 64, None) == verdict.FIXED
    assert verdict.judge("accuracy", 0.1, 0.1, 64, None) == verdict.NOT_HELPED


def test_the_report_reads_inconclusive_as_validated_null():
    assert verdict.validated(verdict.FIXED) is True
    assert verdict.validated(verdict.NOT_HELPED) is False
    assert verdict.validated(verdict.INCONCLUSIVE) is None
    trial = FixTrial("lr-too-low", "learning rate x10", "accuracy", 200, 1.0, 0.1, 0.1, None)
    assert trial.verdict == "inconclusive"
