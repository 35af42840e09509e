"""lr-too-high behind the symptom it took: units killed, or a loss no better than a constant.

With SGD at lr 1 on digits (two ReLU layers) the first updates kill ~95% of the
units; predictions do not collapse onto one class and the loss never diverges,
yet the rate is the cause and a copy at lr 0.1 trains. The same net at lr 0.1
and 0.3 is healthy and must stay silent. Real seeded runs through `nndoctor run`.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPT = ROOT / "tests" / "scripts" / "torch_relu_lr.py"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.parametrize("seed", ["0", "1"])
def test_units_killed_by_the_rate_name_the_rate_first(tmp_path, seed):
    _, report = run_script(SCRIPT, tmp_path, "1.0", seed, options=["--no-experiments"])
    problems = problem_ids(report)
    assert problems[:1] == ["lr-too-high"], problems
    assert "dead-relu" in problems
    assert not report["healthy"]


@pytest.mark.parametrize("lr", ["0.3"])
def test_a_healthy_rate_stays_silent(tmp_path, lr):
    _, report = run_script(SCRIPT, tmp_path, lr, "0", options=["--no-experiments"])
    assert report["healthy"], problem_ids(report)
