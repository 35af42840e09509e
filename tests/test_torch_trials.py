"""PyTorch fix trials and experiments on real, small, seeded runs (issue 8)."""

from __future__ import annotations

import json

import pytest
from conftest import CASES, ROOT, SEEDS, nndoctor, problem_ids, reseeded, validate

pytest.importorskip("torch")

from nndoctor import verdict  # noqa: E402
from nndoctor.probes import torch_trials  # noqa: E402

FACTORS = torch_trials.LR_PROBE_FACTORS

DROPOUT = ROOT / "tests" / "scripts" / "torch_dropout.py"


def run_report(tmp_path, script, *args):
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), "--quiet", str(script), *args)
    assert (out / "report.json").is_file(), result.stdout + result.stderr
    return validate(json.loads((out / "report.json").read_text()))


def finding(report, cause):
    return next(f for f in report["findings"] if f["id"] == cause)


NEW_FIXES = [
    ("blobs_classifier", "wrong-loss-for-task", "accuracy"),
    ("circles_net", "wrong-activation", "accuracy"),
    ("digits_regressor_head", "wrong-loss-for-task", "accuracy"),
    ("cancer_logreg", "params-not-updated", "accuracy"),
    ("digits_fullbatch", "too-few-updates", "accuracy"),
    ("fraud_detector", "class-imbalance", "balanced accuracy"),
    ("sensor_readings", "bad-data-values", "accuracy"),
    ("house_prices", "exploding-gradient", "loss"),
    ("digits_regularized", "over-regularization", "accuracy"),
    ("digits_tanh", "saturated-activations", "accuracy"),
]


# The case's own seed in the fast suite; the two others (ten runs each) under `slow`.
@pytest.mark.parametrize(
    ("case", "cause", "metric", "seed"),
    [
        pytest.param(*fix, seed, marks=[pytest.mark.slow] if seed is not None else [])
        for seed in SEEDS
        for fix in NEW_FIXES
    ],
)
def test_new_fix_is_validated_on_a_copy(tmp_path, case, cause, metric, seed):
    report = run_report(tmp_path, reseeded(CASES / "torch" / f"{case}.py", seed, tmp_path))
    found = finding(report, cause)
    assert found["validated"] is True, found
    assert found["trial"]["metric"] == metric
    if metric == "loss":
        before, after = found["trial"]["before"], found["trial"]["after"]
        assert isinstance(after, (int, float)), found["trial"]  # a finite loss
        # An unfixed copy that diverged reads "inf" or "nan" (verdict.fixed).
        assert before in ("inf", "nan") or after <= verdict.LOSS_RATIO * before
    else:
        assert found["trial"]["after"] > found["trial"]["before"]
    if case == "digits_regressor_head":
        # The unfixed copy predicts as the script does, by the rounded output: a 0/1
        # threshold on ten classes would score about 0.1.
        assert found["trial"]["before"] > 0.2


def test_healthy_run_keeps_silent_and_shows_the_experiments(tmp_path):
    report = run_report(tmp_path, DROPOUT, str(tmp_path / "w.npy"), "3")
    assert report["healthy"], problem_ids(report)
    experiments = {e["name"]: e for e in report["experiments"]}
    for name in ("overfit-tiny-batch", "lr-range-probe", "input-dependence"):
        assert name in experiments, sorted(experiments)
    assert experiments["overfit-tiny-batch"]["passed"]
    assert experiments["input-dependence"]["passed"]
    factors = experiments["lr-range-probe"]["details"]["loss_after_by_lr_factor"]
    assert list(factors) == ["x0.01", "x0.1", "x1", "x10", "x100"]


def test_lr_probe_keeps_the_user_rate_without_a_clear_gain():
    assert verdict.best_factor(FACTORS, [2.0, 1.5, 1.0, 0.9, float("inf")]) == 1.0
    assert verdict.best_factor(FACTORS, [2.0, 1.5, 1.0, 0.5, float("inf")]) == 10.0
    assert verdict.best_factor(FACTORS, [float("inf")] * 5) == 1.0


def test_balanced_samples_follow_the_rare_class():
    import torch

    held = [(torch.zeros(100, 2), torch.tensor([0] * 90 + [1] * 10))]
    assert torch_trials._balanced_samples(held) == 36  # 2^2 / (1/90 + 1/10)


def test_sorted_batches_do_not_look_like_misaligned_labels(tmp_path):
    # One class per batch: held batches would hold classes no training batch has, and
    # labels shuffled within a batch would not change. The control holds rows out of
    # every batch and shuffles labels across batches, so real labels are learned.
    report = run_report(tmp_path, CASES / "torch" / "digits_folders.py")
    assert "labels-misaligned" not in problem_ids(report), problem_ids(report)
    control = next(e for e in report["experiments"] if e["name"] == "shuffled-labels-control")
    details = control["details"]
    assert control["passed"], details
    assert details["held_accuracy_real_labels"] > details["held_accuracy_shuffled_labels"]


def test_a_penalty_that_is_not_l2_is_not_replayed(tmp_path):
    # penalty / sum(p^2) drifts as an L1 term shrinks the weights: the trial cannot
    # replay the user's loss, so it claims nothing (an L2 one is: digits_regularized).
    report = run_report(tmp_path, ROOT / "tests" / "scripts" / "torch_l1_penalty.py")
    found = finding(report, "over-regularization")
    assert found.get("validated") is None and found.get("trial") is None, found


def test_a_saturated_output_sigmoid_stays_a_quiet_note(tmp_path):
    # A confident sigmoid output is saturated and healthy: with no hidden sigmoid/tanh
    # there is nothing to try, so the run stays healthy and prints no trial at all.
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), str(CASES / "torch" / "spam_filter.py"))
    report = validate(json.loads((out / "report.json").read_text()))
    assert report["healthy"], problem_ids(report)
    notes = {f["id"]: f for f in report["findings"]}
    assert notes["saturated-activations"]["severity"] == "info", notes
    assert notes["saturated-activations"].get("trial") is None
    assert "fix(es)" not in result.stderr and "fix trials took" not in result.stderr
