"""Keras 3 through `nndoctor run`: seed 003, the examples, harmlessness, failures.

Every run is a subprocess, as a user runs nndoctor. TensorFlow's import alone
takes seconds, so the runs of the selected tests start together in a module
fixture, two at a time (the machine has two cores), each with one OpenMP
thread: two runs then do not fight over the cores (the torch backend slows
down 50x when they do).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import CASES, EXAMPLES, ROOT, bench_cases, problem_ids, slow_case, validate

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed"),
]

MANIFEST = bench_cases("keras")
SCRIPTS = ROOT / "tests" / "scripts"
SEED, SEED_FIXED = EXAMPLES / "seeds" / "seed_003.py", EXAMPLES / "seeds" / "seed_003_fixed.py"
SEED_CAUSES = {"missing-output-activation", "inputs-not-normalized"}
# The torch backend has no logits rescue (double softmax is real there) and
# its own autograd path: these also run with KERAS_BACKEND=torch.
ON_TORCH = {"wine_classifier.py", "iris_model.py", "digits_mlp_d.py", "deep_digits.py"}
# make test keeps the torch runs of a softmax head and of a deep stack's gradients; the
# rest repeat them (marked slow, run by make test-slow) to keep make test near 15 minutes.
TORCH_FAST = {"wine_classifier.py", "deep_digits.py"}
# JAX has no tape: gradients come from a pure call (jax.grad over stateless_call) and
# fit keeps the weights outside the model between epochs. These read gradients,
# update ratios on a healthy run under KERAS_BACKEND=jax (issue 17).
ON_JAX = {"deep_digits.py"}
PARALLEL = 2


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess
    report: dict | None
    out: Path


def _env(backend: str) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1"}


def _python(args: list[str], backend: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(backend),
        timeout=300,
    )


def _doctor(
    script: Path,
    out: Path,
    *script_args: str,
    options: tuple[str, ...] = (),
    backend: str = "tensorflow",
) -> Run:
    command = ["-m", "nndoctor", "run", "--out", str(out), *options, str(script), *script_args]
    result = _python(command, backend)
    path = out / "report.json"
    report = validate(json.loads(path.read_text())) if path.is_file() else None
    return Run(result, report, out)


def _weights(backend: str, tmp: Path) -> tuple[np.lib.npyio.NpzFile, np.lib.npyio.NpzFile]:
    script = str(SCRIPTS / "keras_weights.py")
    plain = _python([script, str(tmp / "plain.npz")], backend)
    assert plain.returncode == 0, plain.stderr
    doctor = _doctor(
        SCRIPTS / "keras_weights.py", tmp / "run", str(tmp / "doctor.npz"), backend=backend
    )
    assert doctor.result.returncode == 0, doctor.result.stderr
    return np.load(tmp / "plain.npz"), np.load(tmp / "doctor.npz")


def _backends(name: str) -> list[str]:
    return ["tensorflow"] + ["torch"] * (name in ON_TORCH) + ["jax"] * (name in ON_JAX)


def _keras2(tmp: Path) -> Run:
    (tmp / "tf_keras").mkdir()
    (tmp / "tf_keras" / "__init__.py").write_text("")
    (tmp / "train.py").write_text("import tf_keras\nprint('trained')\n")
    return _doctor(tmp / "train.py", tmp / "run")


def _jobs() -> dict[str, Callable[[Path], object]]:
    jobs: dict[str, Callable[[Path], object]] = {}
    for entry in MANIFEST:
        name = Path(entry["script"]).name
        for backend in _backends(name):
            jobs[f"{backend}:{name}"] = lambda tmp, s=entry["script"], b=backend: _doctor(
                ROOT / s, tmp / "run", backend=b
            )
    for backend in ("tensorflow", "torch"):
        jobs[f"{backend}:seed_003.py"] = lambda tmp, b=backend: _doctor(SEED, tmp, backend=b)
        jobs[f"{backend}:seed_003_fixed.py"] = lambda tmp, b=backend: _doctor(
            SEED_FIXED, tmp, backend=b
        )
    for backend in ("tensorflow", "torch", "jax"):
        jobs[f"weights:{backend}"] = lambda tmp, b=backend: _weights(b, tmp)
    jobs["max-steps"] = lambda tmp: _doctor(SEED, tmp, options=("--max-steps", "1"))
    jobs["probe-fails"] = lambda tmp: _doctor(SCRIPTS / "keras_probe_fails.py", tmp)
    jobs["callback"] = lambda tmp: _python([str(SCRIPTS / "keras_callback.py")], "tensorflow")
    jobs["callback:jax"] = lambda tmp: _python([str(SCRIPTS / "keras_callback.py")], "jax")
    jobs["keras2"] = _keras2
    return jobs


JOBS = _jobs()


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The runs of every selected test in this module, made two at a time."""
    wanted = sorted(
        {
            item.callspec.params["job"]
            for item in request.session.items
            if item.module is request.module
            and "job" in getattr(getattr(item, "callspec", None), "params", {})
        }
        if hasattr(request.session, "items")
        else JOBS
    )
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {
            job: pool.submit(JOBS[job], tmp_path_factory.mktemp(re.sub(r"\W", "_", job)))
            for job in wanted
        }
        return {job: future.result() for job, future in futures.items()}


def _entries(healthy: bool) -> list:
    return [
        pytest.param(
            f"{backend}:{Path(e['script']).name}",
            e,
            id=f"{backend}-{e['script']}",
            marks=[pytest.mark.slow]
            if backend == "torch" and Path(e["script"]).name not in TORCH_FAST
            else slow_case(e["script"]),
        )
        for e in MANIFEST
        if e["healthy"] is healthy
        for backend in _backends(Path(e["script"]).name)
    ]


def _output(run: Run) -> str:
    return run.result.stdout + run.result.stderr


# ---------------------------------------------------------------- seed 003


@pytest.mark.parametrize("job", ["tensorflow:seed_003.py", "torch:seed_003.py"])
def test_seed_003_missing_activation_and_raw_pixels_ranked_first(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    assert run.report["framework"] == "keras"
    assert set(problem_ids(run.report)[:2]) == SEED_CAUSES, run.report["findings"]
    first = run.report["findings"][0]
    assert first["location"]["file"].endswith("seed_003.py")  # the Dense(2) line
    assert "accuracy: 0.4948" in run.result.stdout  # the question's flatline, reproduced


@pytest.mark.parametrize(
    "job",
    [
        "tensorflow:seed_003_fixed.py",
        pytest.param("torch:seed_003_fixed.py", marks=pytest.mark.slow),
    ],
)
def test_seed_003_fixed_is_healthy_and_learns(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    assert run.report["healthy"] is True, run.report["findings"]
    accuracies = re.findall(r"accuracy: ([0-9.]+)", run.result.stdout)
    assert float(accuracies[-1]) >= 0.95, accuracies


@pytest.mark.parametrize("job", ["torch:seed_003.py"])
def test_torch_probe_stands_down_for_keras_on_the_torch_backend(runs, job):
    events = [json.loads(line) for line in (runs[job].out / "trace.jsonl").open()]
    kinds = [e["event"] for e in events]
    # The PyTorch probe would add its own profiles at Keras's first loss call.
    assert kinds.count("DataProfile") == 1 and kinds.count("OutputProfile") == 1, kinds
    assert {e["name"] for e in events if e["event"] == "ModelSpec"} == {"sequential"}


@pytest.mark.parametrize("job", ["max-steps"])
def test_configuration_faults_are_known_after_one_step(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    assert "stopped the training after 1 step" in run.result.stderr
    assert len(run.report["series"]["step"]) == 1
    assert set(problem_ids(run.report)[:2]) == SEED_CAUSES, run.report["findings"]


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize("job, entry", _entries(healthy=False))
def test_buggy_example_names_its_cause(runs, job, entry):
    run = runs[job]
    assert run.result.returncode == entry.get("exit_code", 0), _output(run)
    problems = problem_ids(run.report)
    for expected in entry["expected"]:
        assert expected in problems[: len(entry["expected"]) + 1], problems
    assert run.report["healthy"] is False


@pytest.mark.parametrize("job, entry", _entries(healthy=True))
def test_healthy_example_is_healthy(runs, job, entry):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    assert problem_ids(run.report) == [], run.report["findings"]
    assert run.report["healthy"] is True
    assert "test " in run.result.stdout  # the script's own result line


def test_manifest_lists_every_keras_example():
    listed = {Path(e["script"]).name for e in MANIFEST}
    assert listed == {p.name for p in (CASES / "keras").glob("*.py")}
    assert sum(not e["healthy"] for e in MANIFEST) >= 10
    assert sum(e["healthy"] for e in MANIFEST) >= 4


# ---------------------------------------------------------------- harmless, robust


@pytest.mark.parametrize("job", ["weights:tensorflow", "weights:torch", "weights:jax"])
def test_final_weights_identical_with_and_without_nndoctor(runs, job):
    plain, doctor = runs[job]
    assert plain.files == doctor.files
    for name in plain.files:
        assert np.array_equal(plain[name], doctor[name]), name


@pytest.mark.parametrize("job", sorted(job for job in JOBS if job.startswith("jax:")))
def test_keras_on_jax_measures_without_internal_errors(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    notes = [f["evidence"] for f in run.report["findings"] if f["id"] == "internal-error"]
    assert notes == []
    steps = [json.loads(line) for line in (run.out / "trace.jsonl").open()]
    measured = [e for e in steps if e["event"] == "StepRecord" and e["grad_norms"]]
    assert measured, "no gradient norm was read on the JAX backend"


@pytest.mark.parametrize("job", ["probe-fails"])
def test_failing_measurement_is_an_internal_error_and_training_goes_on(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    accuracy = re.search(r"final accuracy ([0-9.]+)", run.result.stdout)
    assert accuracy and float(accuracy.group(1)) > 0.8, run.result.stdout
    notes = [f for f in run.report["findings"] if f["id"] == "internal-error"]
    assert len(notes) == 1 and "broken on purpose" in notes[0]["evidence"]["error"]
    assert len(run.report["series"]["loss"]) == 4 * 57  # every step recorded anyway
    assert run.report["healthy"] is True


@pytest.mark.parametrize("job", ["callback", "callback:jax"])
def test_diagnosis_callback_reports_in_a_plain_python_run(runs, job):
    result = runs[job]
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["arrays"][0] == "missing-output-activation"
    assert "internal-error" not in found["arrays"] + found["pipeline"]
    assert found["framework"] == "keras" and found["steps"] == 3 * 57
    assert found["html"] > 1000
    # A tf.data pipeline is not read; the rows given as `sample` are.
    assert "inputs-not-normalized" in found["pipeline"]


@pytest.mark.parametrize("job", ["keras2"])
def test_keras2_script_gets_a_clear_message(runs, job):
    run = runs[job]
    assert run.result.returncode == 0, _output(run)
    assert "Keras 2" in run.result.stderr and "Keras 3" in run.result.stderr
    notes = [f for f in run.report["findings"] if f["id"] == "internal-error"]
    assert notes and "Keras 2" in notes[0]["evidence"]["error"]
