"""PyTorch loops without an optimizer: updates written by hand are training steps (issue 16,
item 6). Real seeded runs of tests/scripts/torch_hand_update.py under `nndoctor run`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, problem_ids

torch = pytest.importorskip("torch")

import nndoctor.torch as nnd_torch  # noqa: E402

SCRIPT = ROOT / "tests" / "scripts" / "torch_hand_update.py"
STEPS = 6 * 16  # the script's 6 epochs of 16 batches


def events(run: Path, kind: str) -> list[dict]:
    lines = (json.loads(line) for line in (run / "trace.jsonl").open())
    return [e for e in lines if e["event"] == kind]


def recorded_steps(run: Path) -> int:
    return len(events(run, "StepRecord")) + sum(len(e["losses"]) for e in events(run, "LossRun"))


def spec(run: Path) -> dict:
    return events(run, "ModelSpec")[-1]


def test_healthy_hand_loop_is_trained_and_left_bit_identical(run, tmp_path):
    plain, watched = tmp_path / "plain.npy", tmp_path / "watched.npy"
    args = ("--style", "data", "--save")  # p.data.add_(...): no version counter moves
    subprocess.run([sys.executable, str(SCRIPT), *args, str(plain)], check=True)
    result, report = run(SCRIPT, *args, str(watched))
    assert result.returncode == 0, result.stderr
    a, b = np.load(plain), np.load(watched)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert report["healthy"], problem_ids(report)
    out = tmp_path / "run"
    assert recorded_steps(out) == STEPS
    model = spec(out)
    assert model["optimizer"] == "hand-written"
    assert model["learning_rate"] == pytest.approx(0.1, rel=0.01)  # the script's lr


def test_hand_loop_with_lr_too_high_gets_lr_too_high_and_a_validated_fix(run):
    result, report = run(SCRIPT, "--lr", "20")
    assert result.returncode == 0, result.stderr
    problems = problem_ids(report)
    assert problems[0] == "lr-too-high", problems
    assert "params-not-updated" not in problems
    lr = next(f for f in report["findings"] if f["id"] == "lr-too-high")
    # Replayed as SGD at the rate read from the update. Measured under the script's seeds
    # 11 and 12 too (issue 14's three seeds, run by hand to keep this file short):
    # accuracy 0.258 -> 0.93 and 0.203 -> 0.93, both validated; the healthy and bare
    # runs stay healthy under them.
    assert lr["validated"] is True


def test_bare_tensors_updated_by_hand_are_a_model(run, tmp_path):
    result, report = run(SCRIPT, "--style", "bare", options=("--no-experiments",))
    assert result.returncode == 0, result.stderr
    assert report["healthy"], problem_ids(report)
    out = tmp_path / "run"
    assert recorded_steps(out) == 6 * 8  # 512 rows in batches of 64
    model = spec(out)
    assert model["name"] == "tensors w, b"  # as the script names them
    assert model["optimizer"] == "hand-written"
    assert model["learning_rate"] == pytest.approx(0.05, rel=0.01)
    assert model["experiments_skipped"]  # no nn.Module to copy: said, not attempted


def test_bare_tensors_whose_gradients_are_never_reset_get_grad_not_zeroed(run):
    # No module, so no gradient norms: the flags are direct reads of w.grad before each
    # backward, which still held the earlier steps' sum (the bare run above is healthy).
    result, report = run(SCRIPT, "--style", "bare", "--no-zero", options=("--no-experiments",))
    assert result.returncode == 0, result.stderr
    problems = problem_ids(report)
    assert problems[0] == "grad-not-zeroed", problems
    evidence = report["findings"][0]["evidence"]
    assert evidence["steps_without_reset"] == evidence["steps"] == 6 * 8 - 1


def hand_loop(model, rebind: bool = False, zero: bool = True, steps: int = 60) -> None:
    """Full-batch steps written by hand on a 4-class task a linear teacher separates."""
    x = torch.randn(256, 16)
    y = (x @ torch.randn(16, 4)).argmax(dim=1)
    for _ in range(steps):
        torch.nn.functional.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                if rebind:
                    p = p - 0.5 * p.grad  # a common bug: rebinds the name, the weight stays
                    continue
                p -= 0.5 * p.grad
                if zero:
                    p.grad = None


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))


def test_watch_sees_hand_written_steps():
    net = model()
    with nnd_torch.watch(net) as doctor:
        hand_loop(net)
    diagnosis = doctor.report(trials=False)
    assert diagnosis.healthy, diagnosis.ids
    assert len(doctor.session.observations().trace) == 60


def test_hand_update_that_changes_nothing_is_still_params_not_updated():
    # `p = p - lr * p.grad` rebinds the name: no weight ever moves, no step is seen.
    net = model()
    with nnd_torch.watch(net) as doctor:
        hand_loop(net, rebind=True)
    diagnosis = doctor.report(trials=False)
    assert diagnosis.ids[0] == "params-not-updated", diagnosis.ids
    assert not doctor.session.observations().trace


def test_hand_loop_that_never_zeroes_gradients_gets_grad_not_zeroed():
    net = model()
    with nnd_torch.watch(net) as doctor:
        hand_loop(net, zero=False)
    problems = doctor.report(trials=False).ids
    assert problems[0] == "grad-not-zeroed", problems
    assert "params-not-updated" not in problems
    assert len(doctor.session.observations().trace) == 60


def test_rate_is_read_from_the_clipped_gradient_the_update_used():
    # pytorch/examples word_language_model: zero_grad first, clip_grad_norm_, then
    # p.data.add_(p.grad, alpha=-lr): the update reads the clipped gradient.
    net = model()
    x = torch.randn(256, 16)
    y = (x @ torch.randn(16, 4)).argmax(dim=1)
    with nnd_torch.watch(net) as doctor:
        for _ in range(10):
            net.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 0.01)  # far under the norm: clips
            for p in net.parameters():
                p.data.add_(p.grad, alpha=-0.3)
    spec = doctor.session.observations().model
    assert spec.optimizer == "hand-written"
    assert spec.learning_rate == pytest.approx(0.3, rel=0.01)
