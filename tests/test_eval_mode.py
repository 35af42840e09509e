"""An evaluation without model.eval() (issue 16: a real-world program called healthy).

A model with Dropout evaluated under no_grad while still in training mode
reports an accuracy with half its units dropped. Real seeded runs: without
model.eval() it is eval-bug; with it, healthy.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPT = ROOT / "tests" / "scripts" / "torch_eval_mode.py"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_evaluation_in_training_mode_is_an_eval_bug(tmp_path):
    _, report = run_script(SCRIPT, tmp_path, "forgot", options=["--no-experiments"])
    assert problem_ids(report) == ["eval-bug"], report["findings"]
    assert report["findings"][0]["evidence"]["calls_in_training_mode"] == 4


def test_evaluation_after_model_eval_is_healthy(tmp_path):
    _, report = run_script(SCRIPT, tmp_path, "eval", options=["--no-experiments"])
    assert report["healthy"], problem_ids(report)
