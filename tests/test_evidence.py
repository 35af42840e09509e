"""Evidence over absence (issue 16, item 7): failed checks and trials weigh in the verdict.

Real, small, seeded runs through `nndoctor run` (tests/scripts/numpy_zero_init.py,
torch_sorted_digits.py, torch_fix_ranked.py): a NumPy net with all-zero weight
matrices is bad-init and never healthy; sorted, unshuffled data is unshuffled-data,
never class imbalance; all-zero gradients are not blamed on the update; a cause whose
own fix trial did not help ranks after the others as a possible cause. The healthy
runs beside them stay silent.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, problem_ids, run_script

from nndoctor.diagnosis import PROVEN_BY_CONFIGURATION, demoted, diagnose
from nndoctor.observations import (
    ArrayStats,
    DataProfile,
    FixTrial,
    ModelSpec,
    Observations,
    StepRecord,
)
from nndoctor.probes.numpy import profile_init

SCRIPTS = ROOT / "tests" / "scripts"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def finding(report: dict, ident: str) -> dict:
    return next(f for f in report["findings"] if f["id"] == ident)


def experiments(report: dict) -> dict[str, bool]:
    return {e["name"]: e["passed"] for e in report["experiments"]}


# ---------------------------------------------------------------- NumPy, zero weights


def test_zero_weight_matrices_are_bad_init_and_never_healthy(tmp_path: Path):
    # Course style: samples along columns, W2 of shape (1, 8) for one sigmoid output.
    _, report = run_script(SCRIPTS / "numpy_zero_init.py", tmp_path, "zeros")
    assert not report["healthy"]
    assert problem_ids(report)[0] == "bad-init"
    assert "identical" in finding(report, "bad-init")["title"]
    assert finding(report, "bad-init")["validated"] is True  # random weights learn
    failed = experiments(report)
    assert not failed["update-check"] and not failed["input-dependence"]
    assert not failed["overfit-tiny-batch"]
    # The checks' own verdict is a symptom the cause explains, not a second cause.
    stuck = finding(report, "no-better-than-baseline")
    assert "bad-init" in stuck["fix"]


def test_all_zero_gradients_are_not_blamed_on_the_update(tmp_path: Path):
    # No biases at all: every gradient is exactly 0, so a correct update moves nothing.
    _, report = run_script(SCRIPTS / "numpy_zero_init.py", tmp_path, "nobias")
    grads = next(e for e in report["experiments"] if e["name"] == "update-check")
    assert grads["details"]["changed"] == []  # the weights did not move...
    ids = problem_ids(report)
    assert "params-not-updated" not in ids  # ...and the update is not what is wrong
    assert ids[0] == "bad-init"


def test_checks_that_all_failed_say_not_learning_when_no_cause_is_found(tmp_path: Path):
    # Hidden tanh units saturated by biases of -50: no rule names that, but the update,
    # input-dependence and tiny-batch checks all failed, so the run is not healthy.
    _, report = run_script(SCRIPTS / "numpy_zero_init.py", tmp_path, "saturated", "check-only")
    assert not report["healthy"]
    assert problem_ids(report) == ["no-better-than-baseline"]
    assert report["summary"].startswith("Not learning, cause not identified")
    assert not any(experiments(report)[name] for name in ("update-check", "input-dependence"))


def test_random_weights_with_zero_biases_are_healthy(tmp_path: Path):
    _, report = run_script(SCRIPTS / "numpy_zero_init.py", tmp_path, "random")
    assert report["healthy"], report["findings"]
    assert all(experiments(report).values())


def test_the_init_profile_reads_weights_not_biases():
    # Samples along columns: W (out, in), b (out, 1); W2 of a one-output net is (1, 8).
    params = {
        "W1": np.zeros((8, 30)),
        "b1": np.zeros((8, 1)),
        "W2": np.zeros((1, 8)),
        "b2": np.zeros((1, 1)),
    }
    layers = profile_init(params, n_features=30)
    assert [(x.name, x.fan_in, x.is_last) for x in layers] == [("W1", 30, False), ("W2", 8, True)]
    assert layers[0].identical_units == layers[0].n_units == 8
    # Samples along rows: W (in, out), b (1, out).
    rows = {"W1": np.ones((30, 8)), "b1": np.zeros((1, 8)), "W2": np.ones((8, 1))}
    assert [x.name for x in profile_init(rows, n_features=30)] == ["W1", "W2"]


# ---------------------------------------------------------------- sorted, unshuffled data


def test_sorted_balanced_digits_are_unshuffled_not_imbalanced(tmp_path: Path):
    # About 180 of each digit, fed in label order: each batch holds one class, the
    # data set does not. The label histogram comes from every recorded batch.
    _, report = run_script(
        SCRIPTS / "torch_sorted_digits.py", tmp_path, "sorted", options=["--no-experiments"]
    )
    assert problem_ids(report)[0] == "unshuffled-data"
    assert "class-imbalance" not in {f["id"] for f in report["findings"]}


def test_shuffled_digits_are_healthy(tmp_path: Path):
    _, report = run_script(
        SCRIPTS / "torch_sorted_digits.py", tmp_path, "shuffled", options=["--no-experiments"]
    )
    assert report["healthy"], report["findings"]
    assert not {"unshuffled-data", "class-imbalance"} & {f["id"] for f in report["findings"]}


# ---------------------------------------------------------------- a fix that did not help


def test_a_cause_whose_fix_did_not_help_ranks_after_the_others(tmp_path: Path):
    # A double softmax (its fix helps) and raw 0-255 pixels behind a BatchNorm1d (their
    # fix cannot help: the BatchNorm standardises them already).
    _, report = run_script(SCRIPTS / "torch_fix_ranked.py", tmp_path)
    ids = problem_ids(report)
    assert ids[0] == "double-softmax"
    assert finding(report, "double-softmax")["validated"] is True
    useless = finding(report, "inputs-not-normalized")
    assert useless["trial"]["verdict"] == "did not help"
    assert useless["severity"] == "warning"  # was an error; it still explains the plateau
    causes = [i for i in ids if finding(report, i)["kind"] == "cause"]
    assert causes[-1] == "inputs-not-normalized"
    assert report["summary"].startswith("Most likely cause: the model already outputs softmax")


def test_a_cause_whose_fix_did_not_help_and_explains_nothing_is_a_note(tmp_path: Path):
    # The same net on raw scores learns: the inputs' scale, whose fix did no better,
    # explains nothing seen, so it is a note and the run is healthy.
    _, report = run_script(SCRIPTS / "torch_fix_ranked.py", tmp_path, "raw-scores")
    note = finding(report, "inputs-not-normalized")
    assert note["trial"]["verdict"] == "did not help"
    assert note["severity"] == "info"
    assert report["healthy"], report["findings"]


def _plateau_on_raw_pixels(validated: bool | None) -> Observations:
    """Raw 0-255 pixels, a flat loss, and the inputs' fix trial with the given verdict."""
    inputs = ArrayStats((64, 64), 75.0, 95.0, 0.0, 255.0, 0, 140.0, 0.0, 120.0, 10)
    trace = tuple(StepRecord(i, 2.3, None, None, None, (), (), True, False) for i in range(40))
    trial = FixTrial(
        "inputs-not-normalized", "x / 255", "accuracy", 200, 1.0, 0.58, 0.58, validated
    )
    return Observations(
        framework="numpy",
        data=DataProfile("rows", 64, inputs, None),
        trace=trace,
        fix_trials=(trial,),
    )


def test_the_summary_says_possible_cause_when_every_fix_did_no_better():
    report = diagnose(_plateau_on_raw_pixels(False))
    lead = report.findings[0]
    assert (lead.id, lead.severity, lead.explains) == (
        "inputs-not-normalized",
        "warning",
        ("loss-plateau",),
    )
    assert report.summary.startswith(
        "Possible cause, though a copy with its fix did no better: inputs are far from"
    )
    # A fix that worked, or a trial that says nothing, leaves the cause as it was.
    for verdict in (True, None):
        report = diagnose(_plateau_on_raw_pixels(verdict))
        assert report.findings[0].severity == "error"
        assert report.summary.startswith("Most likely cause: inputs are far from")


def test_a_cause_the_configuration_proves_is_not_demoted():
    # A softmax output under CrossEntropyLoss is read from the configuration: a short
    # trial that showed no gain says the budget was small, not that the cause is wrong.
    spec = ModelSpec("Net", 10, 2, "softmax", "cross_entropy", "logits", "SGD", 0.1)
    trial = FixTrial("double-softmax", "drop the softmax", "accuracy", 200, 1.0, 0.5, 0.5, False)
    obs = replace(_plateau_on_raw_pixels(None), model=spec, fix_trials=(trial,))
    report = diagnose(obs)
    lead = report.findings[0]
    assert (lead.id, lead.severity, lead.validated) == ("double-softmax", "error", False)
    assert "double-softmax" in PROVEN_BY_CONFIGURATION and not demoted(lead)
    assert report.summary.startswith("Most likely cause: the model already outputs softmax")
