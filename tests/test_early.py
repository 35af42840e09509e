"""The answer while training runs: early lines on stderr and --until-diagnosed (issue 18).

Real seeded runs of tests/scripts/torch_epochs.py (8 epochs of 20 steps, a line
per epoch) under `nndoctor run`, and in-process NumPy loops for the schedule,
the cost budget and the internal-error path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, problem_ids, validate

from nndoctor import cli
from nndoctor import session as _session
from nndoctor.early import COST_SHARE, MIN_INFERRED_STEP, EarlyDiagnosis
from nndoctor.numpy import Monitor

EPOCHS = Path(__file__).resolve().parent / "scripts" / "torch_epochs.py"
EARLY = "nndoctor: double-softmax at step "
STEP_SECONDS = 0.003  # a small MLP's step (the bench MLP's is 0.5 ms, a small CNN's 2.5 ms)


def run_merged(tmp_path: Path, *options: str, mode: str = "double-softmax") -> tuple[int, str]:
    """`nndoctor run OPTIONS torch_epochs.py MODE`, stdout and stderr in one stream in the
    order written (unbuffered, as in a terminal): the exit code and the text."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "nndoctor", "run", "--out", str(tmp_path / "run"), *options]
        + [str(EPOCHS), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    return result.returncode, result.stdout


def report(tmp_path: Path) -> dict:
    return validate(json.loads((tmp_path / "run" / "report.json").read_text()))


def early_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " at step " in line and "nndoctor: " in line]


def test_double_softmax_is_announced_before_the_first_epoch_ends(tmp_path):
    code, text = run_merged(tmp_path, "--no-experiments")
    assert code == 0, text
    lines = text.splitlines()
    early = [i for i, line in enumerate(lines) if line.startswith(EARLY)]
    assert len(early) == 1, text
    # 2 checks in a row from step 8 on: steps 5 and 8 of the 20 in the first epoch.
    assert lines[early[0]].startswith(f"{EARLY}8: the model already outputs softmax"), text
    assert lines[early[0]].endswith("; full report at the end")
    first_epoch = next(i for i, line in enumerate(lines) if line.startswith("epoch 0:"))
    assert early[0] < first_epoch, text
    assert sum(line.startswith("epoch ") for line in lines) == 8  # the training went on
    assert problem_ids(report(tmp_path))[0] == "double-softmax"


# binary: raw scores that start inside [0, 1] read as a sigmoid on the first batches;
# before the probe re-read the model when they left it, and before step 8, this run
# printed "double-softmax at step 2" (then step 8) and trained on to a healthy report.
@pytest.mark.parametrize("mode", ["healthy", "binary"])
def test_healthy_run_prints_no_early_line(tmp_path, mode):
    code, text = run_merged(tmp_path, "--no-experiments", "--until-diagnosed", mode=mode)
    assert code == 0, text
    assert early_lines(text) == [], text
    assert sum(line.startswith("epoch ") for line in text.splitlines()) == 8  # not stopped
    assert problem_ids(report(tmp_path)) == []


def test_until_diagnosed_stops_the_training_quietly_and_still_reports(tmp_path):
    code, text = run_merged(tmp_path, "--quiet", "--until-diagnosed")
    assert code == 0, text
    assert early_lines(text) == [], text  # --quiet: no early line
    assert "nndoctor: stopped the training after 8 steps: double-softmax is confident" in text
    assert "nndoctor: nndoctor" not in text
    assert "epoch 0:" not in text  # stopped inside the first epoch
    found = report(tmp_path)
    # The experiments still ran after the stop.
    assert {e["name"] for e in found["experiments"]} >= {"overfit-tiny-batch"}, found
    assert problem_ids(found)[0] == "double-softmax"
    assert found["series"]["step"][-1] <= 8
    run = [
        json.loads(line)
        for line in (tmp_path / "run" / "trace.jsonl").read_text().splitlines()
        if '"RunInfo"' in line
    ]
    assert run[-1]["stopped_early"] is True


def numpy_run(
    losses: list[float], stop: bool = False, step_seconds: float = 0.0
) -> tuple[_session.Session, EarlyDiagnosis]:
    """A NumPy training loop recording these losses in a session with early checks, each
    step taking step_seconds (the checks' 1% budget is of the run's time)."""
    session = _session.Session("numpy")
    early = EarlyDiagnosis(session, show=False, stop=stop)
    session.early = early
    _session.activate(session)
    try:
        monitor = Monitor()
        for loss in losses:
            time.sleep(step_seconds)
            monitor.record(loss)
    except _session.StopTraining:
        pass
    finally:
        _session.activate(None)
    return session, early


@pytest.mark.slow  # 600 steps of a loop
def test_a_cause_read_from_the_loss_waits_for_step_21_and_an_8x_span():
    # A loss that climbs from the first step (x1.05 a step): lr-too-high's mark, read
    # from the loss alone, so it is confident only after 4 checks over 8x the steps.
    losses = [1.0 * 1.05**i for i in range(600)]
    session, early = numpy_run(losses, stop=True, step_seconds=STEP_SECONDS)
    assert early.confident == ["lr-too-high"], early._streaks
    assert session.stopped_early and MIN_INFERRED_STEP <= session.steps < 600
    first, checks = early._streaks["lr-too-high"]
    assert checks >= 4 and session.steps >= 8 * first, early._streaks


def test_a_healthy_numpy_loop_stays_silent():
    losses = [2.0 * 0.97**i for i in range(300)]
    session, early = numpy_run(losses, stop=True, step_seconds=STEP_SECONDS)
    assert early.confident == [] and session.steps == 300 and not session.stopped_early
    assert early.checks >= 5  # on a loaded machine the budget defers some


def test_checks_stay_within_their_share_of_a_fast_loop():
    # 3,000 steps as fast as Monitor.record goes (~0.2-0.5 ms): the budget, not the
    # schedule, decides when to check.
    started = time.monotonic()
    rng = np.random.default_rng(0)
    session, early = numpy_run(list(1.0 + 0.01 * rng.standard_normal(3000)))
    elapsed = time.monotonic() - started
    # The first check always runs; how many more fit depends on the machine's speed
    # (CI's loaded 2 cores fit 2, an idle one 3 or more), so only the budget is asserted.
    assert early.checks >= 1
    # A check starts only while the checks before it fit in the share of the run so far:
    # only the last one may go over, by its own cost.
    assert early.spent - early.last_cost <= COST_SHARE * elapsed, (early.spent, elapsed)


def test_a_failing_check_becomes_an_internal_error_and_training_goes_on():
    session = _session.Session("numpy")
    session.early = EarlyDiagnosis(session, show=False, stop=True)
    session.emit(object())  # an event no fold knows: the check raises inside
    for _ in range(30):
        session.count_step()
    assert session.steps == 30
    errors = [e for e in session.events if type(e).__name__ == "InternalError"]
    assert len(errors) == 1 and errors[0].where == "early diagnosis"


def test_default_trial_budget_scales_with_the_run():
    # The run's own wall time, within [2, 15] s; a budget given on the command line wins.
    assert [cli._trial_seconds(None, wall) for wall in (0.4, 6.33, 90.0)] == [2.0, 6.3, 15.0]
    assert cli._trial_seconds(40.0, 0.4) == 40.0
