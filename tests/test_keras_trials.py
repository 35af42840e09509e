"""Keras fix trials (issue 8) through `nndoctor run`: seed 003 gets a validated fix.

Two runs of seed 003 at once (the machine has two cores): trials on, with a
short budget, and `--no-experiments`. The fix trials train clones after the
script ends; the user's model, seen at exit, must hold the same weights either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, validate

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed"),
    pytest.mark.xdist_group("keras"),
]

SCRIPT = ROOT / "tests" / "scripts" / "keras_seed_weights.py"
SEED_CAUSES = {"missing-output-activation", "inputs-not-normalized"}


def _doctor(out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "KERAS_BACKEND": "tensorflow", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "nndoctor", "run", str(SCRIPT), str(out / "weights.npz")]
    return subprocess.run(
        [*command, "--out", str(out / "run"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    on, off = tmp_path_factory.mktemp("trials"), tmp_path_factory.mktemp("no_experiments")
    with ThreadPoolExecutor(2) as pool:
        jobs = {
            "on": (on, pool.submit(_doctor, on, "--trial-seconds", "5")),
            "off": (off, pool.submit(_doctor, off, "--no-experiments")),
        }
        return {name: (folder, job.result()) for name, (folder, job) in jobs.items()}


def test_seed_003_fix_is_validated_with_its_numbers(runs):
    folder, result = runs["on"]
    assert result.returncode == 0, result.stderr
    report = validate(json.loads((folder / "run" / "report.json").read_text()))
    causes = {f["id"]: f for f in report["findings"] if f["id"] in SEED_CAUSES}
    assert set(causes) == SEED_CAUSES, report["findings"]
    validated = [f for f in causes.values() if f.get("validated") is True]
    assert validated, [f.get("trial") for f in causes.values()]
    for finding in validated:
        trial = finding["trial"]
        assert trial["metric"] == "accuracy" and 0 < trial["steps"] <= 200, trial
        assert trial["after"] >= trial["before"] + 0.05, trial
    assert "fix trials took" in result.stderr
    off_folder, off = runs["off"]
    assert off.returncode == 0, off.stderr
    off_report = json.loads((off_folder / "run" / "report.json").read_text())
    assert all(f.get("trial") is None for f in off_report["findings"]), off_report["findings"]


def test_user_weights_and_rng_unchanged_by_the_trials(runs):
    (on, _), (off, _) = runs["on"], runs["off"]
    with_trials, without = np.load(on / "weights.npz"), np.load(off / "weights.npz")
    assert with_trials.files == without.files
    for name in without.files:
        assert np.array_equal(with_trials[name], without[name]), name
