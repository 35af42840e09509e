"""Task detection and the baseline verdict (issue 16): runs that never beat a trivial predictor.

Every run is a real, small, seeded training through `nndoctor run` in a
subprocess (tests/scripts/torch_regression.py, torch_classifier.py,
torch_binary_masks.py, keras_baseline.py). The faulty ones must give the new
symptom and never be called healthy; the healthy ones (a regression that
learns, an 80/20 classifier that beats the majority rate, a slow-but-steady
run, a noisy dropout run) must keep every new id silent.
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, problem_ids, run_script

from nndoctor.diagnosis import diagnose
from nndoctor.observations import (
    ArrayStats,
    DataProfile,
    LabelStats,
    ModelSpec,
    Observations,
    OutputProfile,
    StepRecord,
)
from nndoctor.rules import labels_not_encoded, no_better_than_baseline, prediction_collapse
from nndoctor.rules._baseline import baseline
from nndoctor.rules._task import task

SCRIPTS = ROOT / "tests" / "scripts"
NEW_IDS = {"no-better-than-baseline", "validation-at-chance", "targets-not-normalized"}
needs_keras = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="keras is not installed"
)


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def doctor(tmp_path: Path, script: str, *args: str) -> dict:
    _, report = run_script(SCRIPTS / script, tmp_path, *args, options=["--no-experiments"])
    return report


def finding(report: dict, ident: str) -> dict:
    return next(f for f in report["findings"] if f["id"] == ident)


def all_ids(report: dict) -> set[str]:
    return {f["id"] for f in report["findings"]}


# ---------------------------------------------------------------- faulty runs


@pytest.mark.parametrize("mode", ["frozen", "lr0"])
def test_constant_regression_is_no_better_than_the_mean(tmp_path: Path, mode: str):
    report = doctor(tmp_path, "torch_regression.py", mode)
    assert not report["healthy"]
    stuck = finding(report, "no-better-than-baseline")
    assert stuck["evidence"]["task"] == "regression"
    assert stuck["evidence"]["trivial_predictor"] == "the mean target"
    assert stuck["evidence"]["loss_final"] >= (
        stuck["evidence"]["loss_baseline"] - stuck["evidence"]["margin"]
    )
    if not [f for f in report["findings"] if f["kind"] == "cause" and f["severity"] != "info"]:
        assert report["summary"].startswith("Not learning, cause not identified")
    # A regression has no classes: no class-only finding on it.
    assert not {"labels-not-encoded", "class-imbalance", "prediction-collapse"} & all_ids(report)


def test_classifier_stuck_at_the_class_prior_is_no_better_than_baseline(tmp_path: Path):
    report = doctor(tmp_path, "torch_classifier.py", "frozen")
    assert not report["healthy"]
    stuck = finding(report, "no-better-than-baseline")
    assert stuck["evidence"]["task"] == "classification"
    assert "Not learning, cause not identified" in report["summary"]


def test_bce_on_0_255_masks_goes_negative(tmp_path: Path):
    report = doctor(tmp_path, "torch_binary_masks.py", "raw")
    assert not report["healthy"]
    stuck = finding(report, "no-better-than-baseline")
    assert stuck["evidence"]["loss_min"] < 0
    assert stuck["evidence"]["target_range"] == [0.0, 255.0]
    cause = report["findings"][0]
    assert cause["id"] == "labels-not-encoded"
    assert "no-better-than-baseline" in cause["explains"]


def test_torch_eval_pass_at_chance_while_training_fits(tmp_path: Path):
    report = doctor(tmp_path, "torch_classifier.py", "misaligned")
    assert not report["healthy"]
    evidence = finding(report, "validation-at-chance")["evidence"]
    assert evidence["epochs_evaluated"] == 40  # one no_grad evaluation per epoch
    assert evidence["val_accuracy_best"] <= evidence["majority_rate"] + evidence["margin"]
    assert evidence["train_loss_final"] < 0.1  # the training rows were memorised
    assert "no-better-than-baseline" not in all_ids(report)


def test_torch_regression_held_out_at_the_target_variance(tmp_path: Path):
    report = doctor(tmp_path, "torch_regression.py", "misaligned")
    assert not report["healthy"]
    evidence = finding(report, "validation-at-chance")["evidence"]
    assert evidence["task"] == "regression"
    assert evidence["val_loss_best"] >= evidence["loss_baseline"] - evidence["margin"]
    assert evidence["train_loss_final"] < 0.5 * evidence["loss_baseline"]


def test_targets_in_thousands_are_not_normalized(tmp_path: Path):
    report = doctor(tmp_path, "torch_regression.py", "thousands")
    assert not report["healthy"]
    cause = finding(report, "targets-not-normalized")
    assert cause["severity"] == "error"
    assert cause["evidence"]["target_rms"] >= 10
    assert "nan-loss" in cause["explains"]


# ---------------------------------------------------------------- healthy runs


@pytest.mark.parametrize(
    ("script", "mode"),
    [
        ("torch_regression.py", "healthy"),
        ("torch_regression.py", "slow"),
        ("torch_classifier.py", "imbalanced"),
        ("torch_classifier.py", "dropout"),
        ("torch_classifier.py", "slow"),
        ("torch_binary_masks.py", "scaled"),
    ],
)
def test_runs_that_learn_stay_healthy(tmp_path: Path, script: str, mode: str):
    report = doctor(tmp_path, script, mode)
    assert report["healthy"], problem_ids(report)
    assert not NEW_IDS & all_ids(report)


# ---------------------------------------------------------------- Keras held-out data


@needs_keras
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("noise", "no-better-than-baseline"),
        ("shuffled", "validation-at-chance"),
        ("sorted", "unshuffled-data"),
        ("digits", None),
        ("imbalanced", None),
    ],
)
def test_keras_validation_split_is_judged_against_the_baseline(
    tmp_path: Path, mode: str, expected: str | None
):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    report = doctor(tmp_path, "keras_baseline.py", mode)
    if expected is None:
        assert report["healthy"], problem_ids(report)
        assert not NEW_IDS & all_ids(report)
        return
    assert not report["healthy"]
    assert expected in problem_ids(report)
    if expected == "unshuffled-data":
        assert problem_ids(report)[0] == expected, problem_ids(report)
        assert finding(report, expected)["evidence"]["total_variation"] > 0.5
    if expected == "validation-at-chance":
        evidence = finding(report, expected)["evidence"]
        assert evidence["train_accuracy_final"] > evidence["majority_rate"] + evidence["margin"]
        assert "no-better-than-baseline" not in all_ids(report)


# ---------------------------------------------------------------- task detection


def _obs(loss: str | None, width: int, labels: LabelStats) -> Observations:
    inputs = ArrayStats((64, 4), 0.0, 1.0, -2.0, 2.0, 0, 0.1, 0.9, 1.1, 0)
    return Observations(
        framework="torch",
        model=ModelSpec("Net", 10, width, "linear", loss, "values", "SGD", 0.01),
        data=DataProfile("rows", 64, inputs, labels),
        output=OutputProfile(width, 0.1, 0.9, False, "sigmoid", (32, 32), 0),
    )


def _labels(encoding: str, n_classes: int, low: float, high: float) -> LabelStats:
    counts = (20,) * n_classes if encoding != "continuous" else ()
    return LabelStats((64, 1), encoding, n_classes, low, high, counts, 0)


@pytest.mark.parametrize(
    ("loss", "width", "encoding", "classes", "kind"),
    [
        ("cross_entropy", 10, "ids", 10, "classification"),
        ("sparse_categorical_crossentropy", 3, "ids", 3, "classification"),
        ("bce_logits", 1, "ids", 2, "binary"),
        ("bce", 5, "multi-hot", 5, "multi-label"),
        ("mse", 1, "continuous", 0, "regression"),
        ("l1", 1, "ids", 40, "regression"),  # integer counts regressed on one output
        ("mse", 5, "ids", 5, "classification"),  # MSE on class ids: a classifier, wrong loss
        ("poisson", 1, "ids", 12, "regression"),
        (None, 1, "continuous", 0, "regression"),
        (None, 3, "one-hot", 3, "classification"),
    ],
)
def test_task_is_read_from_loss_width_and_targets(loss, width, encoding, classes, kind):
    assert task(_obs(loss, width, _labels(encoding, classes, 0.0, 9.0))).kind == kind


def test_one_output_regression_gets_no_classification_cause():
    # Integer targets 0..40 on one output with a sigmoid-looking first output:
    # before task detection this read as labels outside a sigmoid's [0, 1].
    obs = _obs("mse", 1, _labels("ids", 41, 0.0, 40.0))
    collapsed = [
        StepRecord(i, 1.0, None, (64, 0), (20,) * 41, (), (), True, False) for i in range(20)
    ]
    obs = replace(obs, trace=tuple(collapsed))
    assert labels_not_encoded.check(obs) == []
    assert prediction_collapse.check(obs) == []
    assert "labels-not-encoded" not in diagnose(obs).ids


# ---------------------------------------------------------------- the baseline arithmetic


def _with_losses(obs: Observations, losses: list[float], **model: object) -> Observations:
    trace = tuple(
        StepRecord(i, v, None, None, None, (), (), True, False) for i, v in enumerate(losses)
    )
    spec = replace(obs.model, **model) if model else obs.model
    return replace(obs, trace=trace, model=spec)


def test_multi_label_baseline_is_each_tags_base_rate():
    # 64 rows, 4 tags present in 32, 16, 8 and 0 rows.
    labels = LabelStats((64, 4), "multi-hot", 4, 0.0, 1.0, (32, 16, 8, 0), 0)
    base = baseline(_obs("bce_logits", 4, labels))
    rates = [0.5, 0.25, 0.125, 0.0]
    entropy = [-sum(q * math.log(q) for q in (p, 1 - p) if q > 0) for p in rates]
    assert base is not None and base.task.kind == "multi-label"
    assert base.loss == pytest.approx(sum(entropy) / 4)
    assert base.accuracy == pytest.approx(sum(max(p, 1 - p) for p in rates) / 4)


def test_a_loss_at_the_label_entropy_is_no_better_but_one_below_it_is():
    labels = LabelStats((64,), "ids", 2, 0.0, 1.0, (48, 16), 0)  # H = 0.5623 nats
    obs = _obs("cross_entropy", 2, labels)
    stuck = _with_losses(obs, [0.70] * 10 + [0.5623 + 0.01 * (-1) ** i for i in range(40)])
    learned = _with_losses(obs, [0.70] * 10 + [0.30 + 0.01 * (-1) ** i for i in range(40)])
    assert [f.id for f in no_better_than_baseline.check(stuck)] == ["no-better-than-baseline"]
    assert no_better_than_baseline.check(learned) == []


def test_a_loss_summed_over_the_batch_is_not_judged():
    labels = LabelStats((64,), "ids", 2, 0.0, 1.0, (48, 16), 0)
    # reduction='sum' over 32 rows: 32 x ln 2 at the start, then flat.
    summed = _with_losses(_obs("cross_entropy", 2, labels), [22.0] * 50, batch_rows=32)
    assert no_better_than_baseline.check(summed) == []
