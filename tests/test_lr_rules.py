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


# ---------------------------------------------------------------- a blow-up the run survived

RMSPROP = ROOT / "tests" / "scripts" / "torch_wine_rmsprop.py"


def test_first_steps_that_replace_the_weights_are_a_warning_even_if_the_run_recovers(tmp_path):
    # RMSprop at 0.1: the first updates are 13x the weights and the loss jumps from 1.07
    # to thousands; it then fits the 178 rows anyway (mcfly#43: such runs sometimes stop).
    _, report = run_script(RMSPROP, tmp_path, "0.1", options=["--no-experiments"])
    assert problem_ids(report) == ["lr-too-high"], problem_ids(report)
    finding = report["findings"][0]
    assert finding["severity"] == "warning"
    assert finding["evidence"]["update_ratio_max_early"] > 1
    assert finding["evidence"]["loss_peak_early"] > 3 * finding["evidence"]["loss_first"]


def test_the_same_net_at_a_working_rmsprop_rate_stays_silent(tmp_path):
    _, report = run_script(RMSPROP, tmp_path, "0.001", options=["--no-experiments"])
    assert report["healthy"], problem_ids(report)
