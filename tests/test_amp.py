"""Mixed precision (issue 17): bfloat16 autocast on CPU with a GradScaler.

The scaler multiplies the loss by 65536 before backward and unscales the
gradients before the step: nndoctor must read the unscaled gradients (the
same size as in a float32 run, not 65536 times larger) and must not take the
scaled loss for a penalty term or an explosion. Real seeded runs.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPT = ROOT / "tests" / "scripts" / "torch_amp.py"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def first_grad_norm(folder) -> float:
    for line in (folder / "trace.jsonl").open():
        event = json.loads(line)
        if event["event"] == "StepRecord" and event["grad_norms"]:
            return event["grad_norms"][0]["value"]
    raise AssertionError("no gradient norm recorded")


def test_scaled_training_is_healthy_with_unscaled_gradients(tmp_path):
    _, amp = run_script(SCRIPT, tmp_path / "amp", "amp", options=["--no-experiments"])
    _, plain = run_script(SCRIPT, tmp_path / "plain", "plain", options=["--no-experiments"])
    assert amp["healthy"] is True, problem_ids(amp)
    assert plain["healthy"] is True, problem_ids(plain)
    scaled = first_grad_norm(tmp_path / "amp" / "run")
    unscaled = first_grad_norm(tmp_path / "plain" / "run")
    # bfloat16 keeps 8 bits of mantissa: within 5% of float32, nowhere near 65536x.
    assert abs(scaled - unscaled) <= 0.05 * unscaled, (scaled, unscaled)
