"""The terminal report reads right: one report() behaviour, plurals, notes, failed checks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from conftest import ROOT, nndoctor
from nets import MLP, digits

import nndoctor.numpy as nnd
from nndoctor.findings import number, plural

X, IDS, Y = digits(600)


def test_plural_and_number_read_like_english():
    assert plural(1, "step") == "1 step"
    assert plural(2, "step") == "2 steps"
    assert plural(0, "example") == "0 examples"
    assert number(-0.0) == "0"
    assert number(-1e-9) == "-1e-09"
    assert number(27.631021) == "27.63"


def test_report_returns_and_never_prints_and_prints_itself_once(capsys):
    monitor = nnd.Monitor()
    for i in range(30):
        monitor.record(2.0 * 0.9**i)
    report = monitor.report()
    assert capsys.readouterr().out == ""
    print(report)
    out = capsys.readouterr().out
    assert out.count("nndoctor · numpy") == 1
    assert out == str(report) + "\n"
    report.show()
    assert capsys.readouterr().out.count("nndoctor · numpy") == 1
    assert "<" in report._repr_html_()


def test_symptom_with_no_cause_found_says_so():
    rng = np.random.default_rng(0)
    monitor = nnd.Monitor()
    for _ in range(200):
        monitor.record(0.7 + 0.1 * rng.standard_normal())
    report = monitor.report()
    assert report.ids == ["loss-plateau"]
    text = str(report)
    assert "listed above" not in text
    assert "No cause nndoctor knows explains this" in text
    assert "nndoctor explain loss-plateau" in text


def test_failed_check_on_a_healthy_run_is_explained_in_one_line():
    report = MLP().check(X[:32], Y[:32], overfit_steps=2)
    assert report.healthy, report.ids
    text = " ".join(str(report).split())
    assert "overfit-tiny-batch failed" in text
    assert "overfit-tiny-batch failed: a copy trained 2 steps on 32 examples" in text
    assert "not a finding" in text
    assert "4 of 5 checks passed" in text


def test_saturated_output_note_is_in_the_terminal_report():
    report = MLP(init_scale=30.0, output="sigmoid").check(X[:32], Y[:32], trial_seconds=1)
    assert report.observations.output.saturated
    text = " ".join(str(report).split())
    assert "rescaled to std 1/sqrt(fan_in)" in text
    assert "fix trials start from your own weights" in text


def test_stopped_after_one_step_is_singular(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(
        "import nndoctor.numpy as nnd\n"
        "monitor = nnd.Monitor()\n"
        "for i in range(50):\n"
        "    monitor.record(1.0 / (i + 1))\n"
    )
    result = nndoctor("run", "--out", str(tmp_path / "run"), "--max-steps", "1", str(script))
    assert "stopped the training after 1 step\n" in result.stderr, result.stderr


def test_rules_piped_into_head_exits_quietly():
    result = subprocess.run(
        f"'{sys.executable}' -m nndoctor rules | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == "", result.stderr


def test_rules_into_a_closed_pipe_exits_141_without_a_traceback():
    reader = subprocess.Popen(
        [sys.executable, "-m", "nndoctor", "rules"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader leaves before the first line is written
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_every_failed_check_of_a_healthy_torch_run_gets_its_line(tmp_path):
    # examples/train_digits.py without its fault (the softmax before CrossEntropyLoss):
    # it learns, and its LR range probe prefers a larger rate over 25 steps.
    source = (ROOT / "examples" / "train_digits.py").read_text()
    script = tmp_path / "healthy_digits.py"
    script.write_text(source.replace("    nn.Softmax(dim=1),\n", ""))
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), str(script), "--epochs", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["healthy"], report["findings"]
    failed = [e["name"] for e in report["experiments"] if not e["passed"]]
    assert failed, "this run was chosen because a check fails on it: pick another if not"
    text = " ".join(result.stdout.split())
    for name in failed:
        assert f"{name} failed: " in text, text
    assert text.count("not a finding") + text.count("does not count against the run") == len(
        failed
    ), text


def test_a_symptoms_own_advice_replaces_listed_above_when_no_cause_explains_it():
    from nndoctor.diagnosis import FIX_THE_CAUSES, _symptom_fix
    from nndoctor.findings import Finding

    symptom = Finding(
        id="no-better-than-baseline",
        kind="symptom",
        severity="error",
        confidence=0.85,
        title="The training loss ended no better than the trivial predictor",
        where="the training loss",
        evidence={},
        fix=f"{FIX_THE_CAUSES} Check that the inputs reach the model.",
    )
    alone = _symptom_fix(symptom, [symptom])
    assert "listed above" not in alone.fix
    assert (
        alone.fix == "No cause nndoctor knows explains this. Check that the inputs reach the model."
    )
    cause = Finding(
        id="lr-too-low",
        kind="cause",
        severity="error",
        confidence=0.9,
        title="Steps too small",
        where="the optimizer",
        evidence={},
        fix="Raise the learning rate.",
        explains=("no-better-than-baseline",),
    )
    assert (
        _symptom_fix(symptom, [cause, symptom]).fix == "Fix the cause that explains it: lr-too-low."
    )
