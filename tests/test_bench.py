"""The fast subset of the benchmark: a rule change that breaks a benchmark case fails CI."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_fast_benchmark_cases_pass(tmp_path):
    results = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--fast", "--no-plain", "--strict",
         "--jobs", "1", "--results", str(results)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(results.read_text())["summary"]
    assert summary["top2"] == 1.0 and summary["healthy_false_alarms"] == 0, summary
