"""Tensors the loss trains that no module registers (issue 16: programs written elsewhere).

Layers kept in a Python list and a weight made with torch.randn(...,
requires_grad=True) get gradients but are in no optimizer, so they never train
(both were called healthy). Registered layers, and a batch that asks for its
own gradient (adversarial training), must stay silent. Real seeded runs.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPT = ROOT / "tests" / "scripts" / "torch_unregistered.py"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.parametrize("mode, count", [("list", 4), ("tensor", 1)])
def test_tensors_no_module_registers_are_named(tmp_path, mode, count):
    _, report = run_script(SCRIPT, tmp_path, mode, options=["--no-experiments"])
    assert problem_ids(report)[:1] == ["params-not-updated"], problem_ids(report)
    first = report["findings"][0]
    assert len(first["evidence"]["unregistered"]) == count, first


@pytest.mark.parametrize("mode", ["modulelist", "input-grad"])
def test_registered_layers_and_input_gradients_stay_silent(tmp_path, mode):
    _, report = run_script(SCRIPT, tmp_path, mode, options=["--no-experiments"])
    assert report["healthy"], problem_ids(report)
