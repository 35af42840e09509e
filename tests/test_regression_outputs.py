"""Regression runs judged as regressions (issue 16, items 2 and 5).

Real seeded runs on sklearn's diabetes data, whose targets are whole numbers
from 25 to 346: a sigmoid output can never reach them (wrong-activation,
first), and whole-number targets with hundreds of distinct values are a
score, not class ids (no wrong-loss-for-task under MSE).
"""

from __future__ import annotations

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPT = ROOT / "tests" / "scripts" / "torch_diabetes.py"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_a_sigmoid_output_that_cannot_reach_the_targets_is_named_first(tmp_path):
    _, report = run_script(SCRIPT, tmp_path, "sigmoid", options=["--no-experiments"])
    problems = problem_ids(report)
    assert problems[0] == "wrong-activation", problems
    assert "wrong-loss-for-task" not in problems
    assert report["findings"][0]["evidence"]["output_range"] == [0.0, 1.0]


def test_whole_number_scores_are_not_class_ids(tmp_path):
    _, report = run_script(SCRIPT, tmp_path, "linear", options=["--no-experiments"])
    problems = problem_ids(report)
    assert "wrong-loss-for-task" not in problems and "wrong-activation" not in problems, problems
