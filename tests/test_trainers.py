"""Lightning and the Hugging Face Trainer (issue 17): the callbacks and zero code.

Real, small, seeded trainings in subprocesses: a LightningModule on digits with
and without a softmax before CrossEntropyLoss, and a tiny BERT built from a
config (nothing downloaded) under the Trainer at a healthy rate and at 1e-7.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, problem_ids, run_script

SCRIPTS = ROOT / "tests" / "scripts"
LIGHTNING, HF = SCRIPTS / "lightning_digits.py", SCRIPTS / "hf_tiny.py"
needs = {
    name: pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"no {name}")
    for name in ("lightning", "transformers")
}


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def callback(script, *args: str) -> dict:
    """The script's own run with the callback; its last line is the report as JSON."""
    env = {**os.environ, "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(script), *args, "callback"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs["lightning"]
def test_lightning_callback_names_the_double_softmax():
    found = callback(LIGHTNING, "softmax")
    assert found["ids"][0] == "double-softmax", found
    assert not found["healthy"]


@needs["lightning"]
def test_lightning_callback_on_a_healthy_module_is_healthy():
    found = callback(LIGHTNING, "healthy")
    assert found == {"ids": [], "healthy": True}


@needs["lightning"]
@pytest.mark.slow  # the callback tests cover the diagnosis; this one adds the fix trial
def test_lightning_zero_code_runs_the_fix_trial(tmp_path):
    _, report = run_script(LIGHTNING, tmp_path, "softmax", "run")
    assert problem_ids(report)[0] == "double-softmax"
    first = report["findings"][0]
    assert first["validated"] is True, first


@needs["transformers"]
def test_hugging_face_callback_names_a_rate_too_low():
    found = callback(HF, "1e-7")
    assert found["ids"][0] == "lr-too-low", found


@needs["transformers"]
def test_hugging_face_callback_on_a_healthy_run_is_healthy():
    found = callback(HF, "5e-3")
    assert found == {"ids": [], "healthy": True}
