"""DDP under torchrun (issue 17): two gloo ranks on CPU, one report from rank 0.

`torchrun -m nndoctor run` and `nndoctor run --nproc-per-node 2` on a real
2-rank run of tests/scripts/ddp_digits.py: the other rank keeps its own trace
beside rank 0's, the fix trial runs on rank 0 on the plain module (the process
group is gone by then), and the weights are bit-identical to a plain torchrun.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, problem_ids, validate

SCRIPT = ROOT / "tests" / "scripts" / "ddp_digits.py"
BIN = Path(sys.executable).parent


def launch(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=400)


def test_torchrun_gives_one_report_and_a_validated_fix(tmp_path):
    out = tmp_path / "run"
    result = launch(
        [
            str(BIN / "torchrun"),
            "--standalone",
            "--nproc-per-node",
            "2",
            "-m",
            "nndoctor",
            "run",
            "--out",
            str(out),
            str(SCRIPT),
            "softmax",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("nndoctor · torch") == 1, result.stdout
    assert (out / "trace.rank1.jsonl").is_file()
    report = validate(json.loads((out / "report.json").read_text()))
    assert problem_ids(report)[0] == "double-softmax"
    assert report["findings"][0]["validated"] is True, report["findings"][0]
    assert not [f for f in report["findings"] if f["id"] == "internal-error"]


def test_nproc_per_node_keeps_the_weights_bit_identical(tmp_path):
    plain = launch(
        [
            str(BIN / "torchrun"),
            "--standalone",
            "--nproc-per-node",
            "2",
            str(SCRIPT),
            "healthy",
            str(tmp_path / "plain.npz"),
        ],
        tmp_path,
    )
    assert plain.returncode == 0, plain.stderr[-3000:]
    doctor = launch(
        [
            str(BIN / "nndoctor"),
            "run",
            "--nproc-per-node",
            "2",
            str(SCRIPT),
            "healthy",
            str(tmp_path / "doctor.npz"),
        ],
        tmp_path,
    )
    assert doctor.returncode == 0, doctor.stderr[-3000:]
    (folder,) = (tmp_path / "nndoctor-runs").iterdir()
    report = validate(json.loads((folder / "report.json").read_text()))
    assert report["healthy"] is True, report["findings"]
    assert sorted(p.name for p in folder.glob("trace*.jsonl")) == [
        "trace.jsonl",
        "trace.rank1.jsonl",
    ]
    a, b = np.load(tmp_path / "plain.npz"), np.load(tmp_path / "doctor.npz")
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


@pytest.mark.parametrize("value", ["0", "-2"])
def test_nproc_per_node_must_be_positive(tmp_path, value):
    result = launch(
        [str(BIN / "nndoctor"), "run", "--nproc-per-node", value, str(SCRIPT)], tmp_path
    )
    assert result.returncode == 2
    assert "--nproc-per-node must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "fault, expected",
    [
        ("no-sampler", "ranks-same-data"),
        ("no-ddp", "ranks-out-of-sync"),
        ("no-set-epoch", "sampler-epoch-not-set"),
    ],
)
def test_distributed_faults_are_named(tmp_path, fault, expected):
    out = tmp_path / "run"
    result = launch(
        [
            str(BIN / "torchrun"),
            "--standalone",
            "--nproc-per-node",
            "2",
            "-m",
            "nndoctor",
            "run",
            "--no-experiments",
            "--out",
            str(out),
            str(SCRIPT),
            fault,
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = validate(json.loads((out / "report.json").read_text()))
    assert problem_ids(report) == [expected], report["findings"]
