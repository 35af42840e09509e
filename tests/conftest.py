"""Shared helpers: run nndoctor as a user would, and validate every report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = ROOT / "bench" / "cases"


def bench_cases(framework: str) -> list[dict]:
    """The cases of bench/manifest.json under bench/cases/<framework>/ (not the seeds)."""
    import json

    manifest = json.loads((ROOT / "bench" / "manifest.json").read_text())
    folder = f"bench/cases/{framework}/"
    return [case for case in manifest["cases"] if case["script"].startswith(folder)]


# Benchmark cases whose diagnosis make test leaves to `make test-slow` (and `make bench`),
# to keep make test near 15 minutes: a second case of a cause another fast case or test
# already covers, and healthy controls beyond six PyTorch and three Keras ones.
SLOW_CASES = frozenset(
    {
        # PyTorch: a second case of the same cause
        "torch/tabular_mlp.py",
        "torch/digits_mlp_a.py",
        "torch/synthetic_multiclass.py",
        "torch/shapes_classifier.py",
        "torch/iris_train.py",
        "torch/deep_digits.py",  # test_torch's activation swap diagnoses it too
        "torch/digits_regressor_head.py",  # test_torch_trials validates its fix
        # PyTorch healthy controls
        "torch/digits_logistic.py",
        "torch/digits_mlp_c.py",
        "torch/wine_nll.py",
        "torch/digits_finetune.py",
        "torch/survey_mlp.py",
        "torch/loan_default.py",
        "torch/xor_net.py",
        # Keras: a second case of the same cause (seed 003 has the first two)
        "keras/digit_reader.py",
        "keras/digits_mlp.py",
        "keras/digits_pixels.py",
        "keras/digits_classifier.py",
        # Keras healthy controls
        "keras/digits_sgd.py",
        "keras/digits_dropout.py",
        "keras/digits_earlystop.py",
    }
)


def slow_case(script: str) -> list:
    """The slow mark for a benchmark case of SLOW_CASES (its path under bench/cases/)."""
    return [pytest.mark.slow] if script.removeprefix("bench/cases/") in SLOW_CASES else []


# Issue 14: a test that checks a fix trial's verdict passes under three seeds: the
# script's own (None) and two others, given to the script's own seeding call.
SEEDS = (None, 11, 12)
SEED_CALL = re.compile(r"\b(manual_seed|set_random_seed)\(\d+\)")


def reseeded(script: Path, seed: int | None, folder: Path) -> Path:
    """The script with its torch.manual_seed(N) / keras set_random_seed(N) calls seeding
    `seed` instead, as a copy in `folder` (the script itself for None): the user's model
    starts from other weights and sees its batches in another order."""
    if seed is None:
        return script
    text, count = SEED_CALL.subn(rf"\1({seed})", script.read_text())
    assert count, f"{script} has no manual_seed(N) or set_random_seed(N) call to reseed"
    copy = folder / f"{script.stem}_seed{seed}.py"
    copy.write_text(text)
    return copy


def validate(report: dict) -> dict:
    from nndoctor.report.json_report import schema

    jsonschema.validate(report, schema())
    return report


def nndoctor(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nndoctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


def run_script(
    script: Path, tmp_path: Path, *script_args: str, options: Sequence[str] = ()
) -> tuple[subprocess.CompletedProcess, dict]:
    """`nndoctor run --out TMP/run [OPTIONS] SCRIPT [SCRIPT_ARGS]` and its report."""
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), *options, str(script), *script_args)
    report_path = out / "report.json"
    assert report_path.is_file(), result.stdout + result.stderr
    return result, validate(json.loads(report_path.read_text()))


def problem_ids(report: dict) -> list[str]:
    return [f["id"] for f in report["findings"] if f["severity"] in ("error", "warning")]


@pytest.fixture
def run(tmp_path: Path):
    def _run(
        script: Path, *script_args: str, options: Sequence[str] = ()
    ) -> tuple[subprocess.CompletedProcess, dict]:
        return run_script(script, tmp_path, *script_args, options=options)

    return _run
