"""The command line as a user meets it: `nndoctor run | report | rules | explain`.

Every test runs nndoctor in a subprocess (DESIGN.md, "Contracts": CLI and Run
folder). The training scripts are tiny NumPy loops in tests/scripts/.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, nndoctor, validate

import nndoctor as nndoctor_package

SCRIPTS = Path(__file__).resolve().parent / "scripts"
HEALTHY = SCRIPTS / "healthy.py"  # loss 2.0 * 0.97**i for 200 steps; prints its argv
FLAT = SCRIPTS / "flat.py"  # loss exactly 1.5 for 30 steps: a loss-plateau error
RAISES = SCRIPTS / "raises.py"  # 5 steps, then ValueError in the script's own function
EXITS = SCRIPTS / "exits.py"  # flat loss for 30 steps, then sys.exit(argv[1])
INTERRUPTS = SCRIPTS / "interrupts.py"  # 5 steps, then KeyboardInterrupt
LOOP = SCRIPTS / "loop.py"  # argv[1] steps, or forever without an argument
STUCK = SCRIPTS / "stuck_handmade.py"  # nnd.check + Monitor; gradient key is an HTML tag
HTML_KEY = "<script>alert(1)</script>"
TAXONOMY = ROOT.parent / "shared" / "TAXONOMY.md"
DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
ANSI = "\x1b["
COLOR_SGR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|4[0-9]|10[0-7])(?:;[0-9;]*)?m")
WAIT = 10.0  # seconds a background run may take to reach a state; never reached normally


# ------------------------------------------------------------------ helpers


def flat_text(text: str) -> str:
    """Text with all whitespace runs as one space: the terminal report wraps lines."""
    return " ".join(text.split())


def printed(summary: str, stdout: str) -> bool:
    return flat_text(summary) in flat_text(stdout)


def script_argv(stdout: str) -> list[str]:
    """What tests/scripts/healthy.py printed as its own sys.argv[1:]."""
    lines = [line for line in stdout.splitlines() if line.startswith("script argv: ")]
    assert len(lines) == 1, stdout
    return json.loads(lines[0].removeprefix("script argv: "))


def read_report(folder: Path) -> dict:
    return validate(json.loads((folder / "report.json").read_text(encoding="utf-8")))


def trace_events(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in (folder / "trace.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def step_lines(trace: Path) -> int:
    if not trace.is_file():
        return 0
    return sum('"StepRecord"' in line for line in trace.read_text(encoding="utf-8").splitlines())


def finding_ids(report: dict) -> list[str]:
    return [f["id"] for f in report["findings"]]


def start(*args: str, cwd: Path) -> subprocess.Popen:
    """nndoctor in the background, as from a terminal (for signals): Ctrl-C acts on it
    even when the tests themselves run as a background job, whose shell ignores SIGINT
    for everything it starts (an ignored signal stays ignored across exec)."""
    return subprocess.Popen(
        [sys.executable, "-m", "nndoctor", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_steps(trace: Path, count: int, process: subprocess.Popen) -> int:
    """Wait until trace.jsonl holds `count` step lines (it is flushed at least every second)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        seen = step_lines(trace)
        if seen >= count:
            return seen
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError(f"{trace} did not reach {count} step lines in {WAIT} s")


@pytest.fixture
def background():
    """Background processes started by a test; killed if the test failed before they ended."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()


# Ids this project proposed for TAXONOMY.md in a closing note (TAXONOMY says: use a
# new id and give its meaning there), until the list in ../shared carries them.
PROPOSED_IDS = {"several-models", "experiments-skipped"}


def taxonomy_ids() -> set[str]:
    text = TAXONOMY.read_text(encoding="utf-8")
    listed = {m.group(1) for m in re.finditer(r"^\| `([a-z0-9-]+)`", text, re.MULTILINE)}
    return listed | PROPOSED_IDS


def listed_rule_ids() -> list[str]:
    result = nndoctor("rules")
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def run_on_tty(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Everything nndoctor wrote, run with stdout and stderr on a pseudo-terminal."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nndoctor", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        process.wait(timeout=WAIT)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def plain_env(**extra: str) -> dict[str, str]:
    """The environment without any colour setting, plus `extra`."""
    dropped = {"NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(extra)
    return env


# ------------------------------------------------------------------ 1. version and help


def test_version_prints_the_package_version():
    result = nndoctor("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"nndoctor {nndoctor_package.__version__}"
    assert nndoctor_package.__version__ == importlib.metadata.version("nndoctor")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["report", "--help"],
        ["rules", "--help"],
        ["explain", "--help"],
    ],
    ids=["nndoctor", "run", "report", "rules", "explain"],
)
def test_help_exits_0_on_every_command(args):
    result = nndoctor(*args)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout.lower()
    if args == ["--help"]:
        for command in ("run", "report", "rules", "explain"):
            assert command in result.stdout
    if args[0] == "run":
        for option in ("--out", "--json", "--html", "--quiet", "--strict", "--max-steps"):
            assert option in result.stdout


# ------------------------------------------------------------------ 2. missing script


def test_missing_script_exits_2_with_clear_message(tmp_path):
    result = nndoctor("run", "missing.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "missing.py" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "nndoctor-runs").exists(), "no run folder for a script that never ran"


def test_max_steps_below_one_exits_2(tmp_path):
    result = nndoctor("run", "--max-steps", "0", str(HEALTHY), cwd=tmp_path)
    assert result.returncode == 2
    assert "--max-steps" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# ------------------------------------------------------------------ 3. the script raises


def test_script_exception_shows_its_traceback_exits_1_and_still_reports(run, tmp_path):
    result, report = run(RAISES)
    assert result.returncode == 1
    assert "ValueError: the data loader ran dry" in result.stderr
    frames = re.findall(r'^\s*File "([^"]+)", line (\d+)', result.stderr, re.MULTILINE)
    assert frames, result.stderr
    assert Path(frames[0][0]).name == "raises.py", f"first frame is not the script's: {frames}"
    assert (str(RAISES), "10") in frames, "the raising line of the script must be shown"
    assert "runpy" not in result.stderr
    assert "nndoctor" not in {Path(file).parent.name for file, _ in frames}
    assert printed(report["summary"], result.stdout), "the partial diagnosis must be printed"
    assert report["series"]["step"] == [0, 1, 2, 3, 4]
    assert report["series"]["loss"] == pytest.approx([1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5])


def test_script_syntax_error_shows_only_the_script_location(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("x = 1\ny = (\n", encoding="utf-8")
    result = nndoctor("run", "--out", str(tmp_path / "run"), str(script))
    assert result.returncode == 1
    assert "SyntaxError" in result.stderr
    assert re.search(r'File ".*broken\.py", line 2', result.stderr), result.stderr
    assert "runpy" not in result.stderr
    assert "cli.py" not in result.stderr


# ------------------------------------------------------------------ 4. sys.exit


@pytest.mark.parametrize(
    ("argument", "code"),
    [("3", 3), ("0", 0), ("none", 0), ("bad configuration", 1)],
    ids=["exit-3", "exit-0", "exit-None", "exit-message"],
)
def test_script_sys_exit_code_is_passed_through_and_report_printed(run, argument, code):
    result, report = run(EXITS, argument)
    assert result.returncode == code, result.stderr
    if argument == "bad configuration":
        assert "bad configuration" in result.stderr
    assert "Traceback" not in result.stderr
    assert printed(report["summary"], result.stdout)
    assert report["series"]["step"] == list(range(30))


# ------------------------------------------------------------------ 5. Ctrl-C


def test_keyboard_interrupt_in_script_exits_130_and_reports(run):
    result, report = run(INTERRUPTS)
    assert result.returncode == 130, result.stderr
    assert printed(report["summary"], result.stdout)
    assert report["series"]["step"] == [0, 1, 2, 3, 4]


def test_sigint_to_running_process_exits_130_and_reports(tmp_path, background):
    out = tmp_path / "run"
    process = start("run", "--out", str(out), str(LOOP), cwd=tmp_path)
    background.append(process)
    wait_for_steps(out / "trace.jsonl", 1, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=WAIT)
    assert process.returncode == 130, stderr
    report = read_report(out)
    assert len(report["series"]["step"]) >= 1
    assert printed(report["summary"], stdout)
    assert (out / "report.html").is_file()


# ------------------------------------------------------------------ 6. script arguments


def test_script_arguments_reach_the_script(run):
    result, _ = run(HEALTHY, "--epochs", "3")
    assert result.returncode == 0, result.stderr
    assert script_argv(result.stdout) == ["--epochs", "3"]


def test_everything_after_the_script_goes_to_the_script(tmp_path):
    out = tmp_path / "ours"
    result = nndoctor(
        "run",
        "--out",
        str(out),
        str(HEALTHY),
        "--epochs",
        "2",
        "--out",
        "ckpt",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert script_argv(result.stdout) == ["--epochs", "2", "--out", "ckpt", "--quiet"]
    assert read_report(out)["healthy"] is True
    assert not (tmp_path / "ckpt").exists(), "--out after the script belongs to the script"
    assert "run folder" in result.stdout, "--quiet after the script belongs to the script"


def test_nndoctor_options_with_equals_before_the_script(tmp_path):
    out = tmp_path / "eq"
    result = nndoctor("run", "--quiet", f"--out={out}", str(HEALTHY), "--lr=0.1", "a")
    assert result.returncode == 0, result.stderr
    assert script_argv(result.stdout) == ["--lr=0.1", "a"]
    assert result.stdout.splitlines()[-1] == read_report(out)["summary"]


def test_double_dash_after_the_script_reaches_the_script_as_under_python(tmp_path):
    result = nndoctor("run", str(HEALTHY), "--epochs", "3", "--", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert script_argv(result.stdout) == ["--epochs", "3", "--", "--quiet"]


def test_double_dash_ends_nndoctor_options_before_the_script(tmp_path):
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), "--", str(HEALTHY), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert script_argv(result.stdout) == ["--quiet"]
    assert (out / "report.json").is_file()


USES_ARGPARSE = """import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
parser.parse_args()
"""


def test_nndoctor_option_after_the_script_gets_a_hint_when_the_script_rejects_it(tmp_path):
    (tmp_path / "train.py").write_text(USES_ARGPARSE, encoding="utf-8")
    result = nndoctor("run", "train.py", "--epochs", "2", "--max-steps=5", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "unrecognized arguments: --max-steps=5" in result.stderr
    assert "--max-steps came after the script" in result.stderr
    assert "before SCRIPT" in result.stderr


def test_no_hint_when_the_script_rejects_only_its_own_arguments(tmp_path):
    (tmp_path / "train.py").write_text(USES_ARGPARSE, encoding="utf-8")
    result = nndoctor("run", "train.py", "--lr", "2", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "came after the script" not in result.stderr


def test_script_sees_the_argv_file_and_path_python_gives_it(tmp_path):
    """Issue 14.2: os.chdir(os.path.dirname(__file__)) must work under nndoctor run."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "whoami.py").write_bytes((SCRIPTS / "whoami.py").read_bytes())
    args = ["sub/whoami.py", "--epochs", "2"]
    plain = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=tmp_path, timeout=WAIT
    )
    assert plain.returncode == 0, plain.stderr
    doctor = nndoctor("run", "--out", "run", *args, cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stderr
    seen = [
        json.loads(line.removeprefix("whoami: "))
        for out in (plain.stdout, doctor.stdout)
        for line in out.splitlines()
        if line.startswith("whoami: ")
    ]
    assert len(seen) == 2, doctor.stdout
    assert seen[1] == seen[0]
    assert seen[0]["file"] == str(tmp_path / "sub" / "whoami.py")
    assert (tmp_path / "run" / "report.json").is_file(), "the run folder is the launch folder's"


# ------------------------------------------------------------------ 7. --quiet, --json, --strict


def test_quiet_prints_only_the_summary_line(run):
    result, report = run(FLAT, options=["--quiet"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [report["summary"]]
    assert result.stderr == ""


def test_default_output_shows_the_findings_and_the_run_folder(run, tmp_path):
    result, report = run(FLAT)
    assert printed(report["summary"], result.stdout)
    assert "loss-plateau" in result.stdout
    assert str(tmp_path / "run") in result.stdout


def test_json_option_writes_a_schema_valid_report(run, tmp_path):
    path = tmp_path / "reports" / "ci.json"
    html = tmp_path / "reports" / "ci.html"
    result, report = run(FLAT, options=["--json", str(path), "--html", str(html)])
    assert result.returncode == 0, result.stderr
    written = validate(json.loads(path.read_text(encoding="utf-8")))
    assert written == report
    assert finding_ids(written) == ["loss-plateau"]
    assert written["healthy"] is False
    assert "<!doctype html" in html.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize(
    ("script", "args", "code"),
    [
        (FLAT, [], 1),
        (HEALTHY, [], 0),
        (EXITS, ["3"], 3),
        (EXITS, ["0"], 1),
    ],
    ids=[
        "plateau-strict",
        "healthy-strict",
        "failed-script-code-wins",
        "exit-0-is-success",
    ],
)
def test_strict_exit_code(run, script, args, code):
    result, report = run(script, *args, options=["--strict"])
    assert result.returncode == code, result.stdout + result.stderr
    if script is HEALTHY:
        assert report["healthy"] is True, report["findings"]
    else:
        assert report["healthy"] is False
        assert "loss-plateau" in finding_ids(report)


def test_without_strict_a_plateau_exits_0(run):
    result, report = run(FLAT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["healthy"] is False


# ------------------------------------------------------------------ 8. --max-steps, --max-seconds


def test_max_steps_stops_a_long_run_after_n_steps(run, tmp_path):
    result, report = run(LOOP, "1000", options=["--max-steps", "5"])
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stderr.lower()
    events = trace_events(tmp_path / "run")
    assert sum(e["event"] == "StepRecord" for e in events) == 5
    assert report["series"]["step"] == [0, 1, 2, 3, 4]
    assert "too-few-updates" not in finding_ids(report), "nndoctor cut the run short, not the user"


def test_max_seconds_stops_an_endless_run(run):
    began = time.monotonic()
    result, report = run(LOOP, options=["--max-seconds", "1"])
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stderr.lower()
    assert 1.0 <= elapsed < WAIT
    assert len(report["series"]["step"]) > 10


# ------------------------------------------------------------------ 9. run folder


def test_run_folder_holds_trace_report_json_and_escaped_html(run, tmp_path):
    result, report = run(STUCK)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run"
    lines = (out / "trace.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 30
    for line in lines:
        event = json.loads(line)
        assert isinstance(event, dict) and "event" in event, line
    assert {"params-not-updated", "loss-plateau"} <= set(finding_ids(report))
    assert HTML_KEY in json.dumps(report), "the user's string must reach the report"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<!doctype html" in html.lower() or "<html" in html.lower()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_default_run_folder_is_under_nndoctor_runs_in_the_working_directory(tmp_path):
    result = nndoctor("run", str(HEALTHY), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folders = list((tmp_path / "nndoctor-runs").iterdir())
    assert len(folders) == 1, folders
    folder = folders[0]
    assert re.fullmatch(r"healthy-\d[\d_T:.-]*\d", folder.name), folder.name
    for name in ("trace.jsonl", "report.json", "report.html"):
        assert (folder / name).is_file(), name
    assert read_report(folder)["healthy"] is True
    assert folder.name in result.stdout


def test_relative_out_is_taken_from_the_launch_directory_even_if_the_script_chdirs(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    script = tmp_path / "chdir.py"
    script.write_text(
        "import os\nimport nndoctor.numpy as nnd\n\n"
        "os.chdir('elsewhere')\n"
        "monitor = nnd.Monitor()\n"
        "for i in range(30):\n    monitor.record(1.5)\n",
        encoding="utf-8",
    )
    result = nndoctor("run", "--out", "run", "--json", "r.json", "chdir.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("trace.jsonl", "report.json", "report.html"):
        assert (tmp_path / "run" / name).is_file(), name
    assert (tmp_path / "r.json").is_file()


def test_out_pointing_at_a_file_exits_2_with_clear_message(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x", encoding="utf-8")
    result = nndoctor("run", "--out", str(target), str(HEALTHY))
    assert result.returncode == 2
    assert "not-a-folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_second_run_into_the_same_folder_does_not_mix_traces(tmp_path):
    out = tmp_path / "run"
    assert nndoctor("run", "--out", str(out), "--quiet", str(FLAT)).returncode == 0
    assert nndoctor("run", "--out", str(out), "--quiet", str(HEALTHY)).returncode == 0
    second = read_report(out)
    result = nndoctor("report", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    again = read_report(out)
    assert again["summary"] == second["summary"]
    assert again["series"] == second["series"]
    assert finding_ids(again) == finding_ids(second)
    assert step_lines(out / "trace.jsonl") == 200


# ------------------------------------------------------------------ 10. nndoctor report


def test_report_on_finished_run_gives_the_same_findings(run, tmp_path):
    result, original = run(STUCK)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run"
    (out / "report.json").unlink()
    (out / "report.html").unlink()
    again = nndoctor("report", str(out))
    assert again.returncode == 0, again.stderr
    report = read_report(out)
    assert finding_ids(report) == finding_ids(original)
    assert report["findings"] == original["findings"]
    assert report["series"] == original["series"]
    assert (out / "report.html").is_file()
    assert printed(original["summary"], again.stdout)


def test_report_on_killed_run_diagnoses_what_was_flushed(tmp_path, background):
    out = tmp_path / "run"
    process = start("run", "--out", str(out), str(LOOP), cwd=tmp_path)
    background.append(process)
    wait_for_steps(out / "trace.jsonl", 5, process)
    process.kill()  # SIGKILL: nothing of nndoctor runs after this
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "report.json").exists()
    flushed = step_lines(out / "trace.jsonl")
    result = nndoctor("report", str(out))
    assert result.returncode == 0, result.stderr
    report = read_report(out)
    assert len(report["series"]["step"]) >= min(flushed, 5)
    assert printed(report["summary"], result.stdout)
    assert "Traceback" not in result.stderr


def test_report_skips_a_truncated_last_line_and_says_so(run, tmp_path):
    run(FLAT)
    out = tmp_path / "run"
    with (out / "trace.jsonl").open("a", encoding="utf-8") as trace:
        trace.write('{"event": "StepRecord", "step": 30, "lo')
    result = nndoctor("report", str(out))
    assert result.returncode == 0, result.stderr
    assert re.search(r"\b1\b", result.stderr) and "skip" in result.stderr.lower(), result.stderr
    report = read_report(out)
    assert len(report["series"]["step"]) == 30
    assert "loss-plateau" in finding_ids(report)


def test_report_on_empty_folder_exits_2_with_clear_message(tmp_path):
    result = nndoctor("report", str(tmp_path))
    assert result.returncode == 2
    assert "trace.jsonl" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_on_nonexistent_path_exits_2(tmp_path):
    missing = tmp_path / "no-such-run"
    result = nndoctor("report", str(missing))
    assert result.returncode == 2
    assert "no-such-run" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("not json at all\n{{{\n", id="text"),
        pytest.param('{"event": "NoSuchEvent"}\n{"no event key": 1}\n', id="unknown-events"),
        pytest.param("42\n[1, 2]\nnull\n", id="json-scalars"),
        pytest.param('"a string"\n', id="json-string"),
    ],
)
def test_report_on_garbage_trace_exits_2(tmp_path, content):
    (tmp_path / "trace.jsonl").write_text(content, encoding="utf-8")
    result = nndoctor("report", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "trace.jsonl" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ 11. rules and explain


def test_rules_lists_ids_from_the_taxonomy_one_per_line():
    known = taxonomy_ids()
    assert len(known) > 20, "TAXONOMY.md parsing found too few ids"
    result = nndoctor("rules")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    ids = [line.split()[0] for line in lines]
    assert len(ids) >= 10
    assert len(set(ids)) == len(ids), ids
    assert set(ids) <= known, set(ids) - known
    for line in lines:
        assert len(line.split()) > 2, f"no one-line meaning: {line!r}"


def test_explain_prints_the_documentation_page():
    result = nndoctor("explain", "wrong-gradient")
    assert result.returncode == 0, result.stderr
    assert "wrong-gradient" in result.stdout
    for section in DOC_SECTIONS:
        assert section in result.stdout, section


def test_every_listed_rule_has_a_documentation_page():
    missing = []
    for rule_id in listed_rule_ids():
        result = nndoctor("explain", rule_id)
        if result.returncode != 0:
            missing.append((rule_id, "exit", result.returncode))
        missing += [(rule_id, s) for s in DOC_SECTIONS if s not in result.stdout]
    assert missing == []


def test_explain_internal_error_finding():
    result = nndoctor("explain", "internal-error")
    assert result.returncode == 0, result.stderr


def test_explain_unknown_id_exits_2_and_lists_known_ids():
    result = nndoctor("explain", "no-such-id")
    assert result.returncode == 2
    assert "no-such-id" in result.stderr
    for rule_id in listed_rule_ids():
        assert rule_id in result.stderr, rule_id
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ 12. colour


def test_run_output_has_no_ansi_escapes_in_a_pipe(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nndoctor", "run", "--out", str(tmp_path / "run"), str(FLAT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=plain_env(TERM="xterm-256color"),
        timeout=WAIT,
    )
    assert result.returncode == 0, result.stderr
    assert "loss-plateau" in result.stdout
    assert ANSI not in result.stdout + result.stderr


def test_run_output_is_coloured_on_a_terminal_unless_no_color(tmp_path):
    args = ["run", "--out", str(tmp_path / "run"), str(FLAT)]
    coloured = run_on_tty(args, plain_env(TERM="xterm-256color"), tmp_path)
    assert "loss-plateau" in coloured
    assert COLOR_SGR.search(coloured), "severity is coloured on a terminal"
    no_color = run_on_tty(args, plain_env(TERM="xterm-256color", NO_COLOR="1"), tmp_path)
    assert "loss-plateau" in no_color
    assert not COLOR_SGR.search(no_color), "NO_COLOR set, yet colour codes were written"


# ------------------------------------------------------------------ 13. python -m


def test_python_m_and_console_script_agree_on_version():
    script = Path(sys.executable).with_name("nndoctor")
    if not script.is_file():
        pytest.skip(f"no console script next to {sys.executable}")
    module = nndoctor("--version")
    console = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=WAIT
    )
    assert module.returncode == console.returncode == 0, console.stderr
    assert module.stdout == console.stdout
    assert module.stdout.strip() == f"nndoctor {nndoctor_package.__version__}"


# ------------------------------------------------------------------ 14. how the run ended

SHAPE_ERROR = SCRIPTS / "torch_shape_error.py"  # the first loss raises (targets of wrong width)
INFERENCE = SCRIPTS / "torch_inference.py"  # builds a model and predicts; never trains


def finding(report: dict, finding_id: str) -> dict:
    found = [f for f in report["findings"] if f["id"] == finding_id]
    assert len(found) == 1, finding_ids(report)
    return found[0]


def test_shape_error_on_the_first_loss_is_a_failed_script_not_a_missing_step(run):
    result, report = run(SHAPE_ERROR)
    assert result.returncode == 1, result.stderr
    assert finding_ids(report)[0] == "script-failed", finding_ids(report)
    failed = finding(report, "script-failed")
    assert failed["severity"] == "error"
    assert "RuntimeError" in failed["evidence"]["exception"]
    assert failed["location"]["line"] == 13
    assert Path(failed["location"]["file"]).name == "torch_shape_error.py"
    assert "params-not-updated" not in finding_ids(report), "the script never reached its step"
    assert report["healthy"] is False


def test_exception_at_step_5_keeps_the_steps_and_is_not_too_few_updates(run):
    result, report = run(RAISES)
    assert result.returncode == 1, result.stderr
    failed = finding(report, "script-failed")
    assert failed["evidence"]["exception"] == "ValueError: the data loader ran dry"
    assert failed["evidence"]["steps_recorded"] == 5
    assert failed["location"] == {"file": str(RAISES), "line": 10}
    assert "too-few-updates" not in finding_ids(report), "training did not end by itself"
    assert report["series"]["step"] == [0, 1, 2, 3, 4]
    for other in report["findings"]:
        if other["id"] != "script-failed":
            assert "run_cut_short" in other["evidence"], other


def test_syntax_error_is_a_failed_script_and_strict_keeps_its_exit_code(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("x = 1\ny = (\n", encoding="utf-8")
    result = nndoctor("run", "--out", str(tmp_path / "run"), "--strict", str(script))
    assert result.returncode == 1, result.stderr
    report = read_report(tmp_path / "run")
    assert report["healthy"] is False
    failed = finding(report, "script-failed")
    assert "SyntaxError" in failed["evidence"]["exception"]
    assert failed["location"] == {"file": str(script), "line": 2}


def test_sys_exit_with_a_code_is_a_failed_script(run):
    result, report = run(EXITS, "3")
    assert result.returncode == 3
    assert finding(report, "script-failed")["evidence"]["exit_code"] == 3


@pytest.mark.parametrize("argument", ["0", "none"])
def test_a_script_that_exits_0_has_not_failed(run, argument):
    _, report = run(EXITS, argument)
    assert "script-failed" not in finding_ids(report)


def test_script_that_trains_nothing_is_not_healthy_and_fails_strict(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("print('hello')\n", encoding="utf-8")
    result = nndoctor("run", "--out", str(tmp_path / "run"), "--strict", str(script))
    assert result.returncode == 1, result.stderr
    report = read_report(tmp_path / "run")
    assert report["healthy"] is False
    seen = finding(report, "no-training-observed")
    assert seen["severity"] == "warning"
    assert seen["evidence"]["steps_recorded"] == 0
    assert nndoctor("run", "--out", str(tmp_path / "r2"), str(script)).returncode == 0


def test_torch_inference_script_says_what_it_saw(run):
    result, report = run(INFERENCE)
    assert result.returncode == 0, result.stderr
    seen = finding(report, "no-training-observed")
    assert seen["evidence"]["imported"] == ["torch"], seen["evidence"]
    assert finding_ids(report) == ["no-training-observed"]


@pytest.mark.parametrize("script", [HEALTHY, FLAT, STUCK])
def test_runs_that_trained_are_neither_failed_nor_untrained(run, script):
    _, report = run(script)
    assert not {"script-failed", "no-training-observed"} & set(finding_ids(report))


def test_explain_script_failed_prints_its_page():
    for rule_id in ("script-failed", "no-training-observed"):
        result = nndoctor("explain", rule_id)
        assert result.returncode == 0, result.stderr
        for section in DOC_SECTIONS:
            assert section in result.stdout, (rule_id, section)


TORCH_LOOP = SCRIPTS / "torch_loop.py"  # a small torch classifier trained until killed


def test_killed_torch_run_is_reanalysed_as_torch_and_as_cut_short(tmp_path, background):
    out = tmp_path / "run"
    process = start("run", "--out", str(out), str(TORCH_LOOP), cwd=tmp_path)
    background.append(process)
    wait_for_steps(out / "trace.jsonl", 3, process)
    process.kill()
    process.communicate(timeout=WAIT)
    result = nndoctor("report", str(out))
    assert result.returncode == 0, result.stderr
    report = read_report(out)
    assert report["framework"] == "torch"
    assert "too-few-updates" not in finding_ids(report), "a killed run did not end by itself"
    assert "script-failed" not in finding_ids(report)
    for other in report["findings"]:
        assert "killed" in other["evidence"]["run_cut_short"], other


# ------------------------------------------------------------------ 15. Ctrl-C during the trials

LR_HIGH = SCRIPTS / "torch_lr_high.py"  # lr far too high: fix trials of seconds each
TRIALS_STARTED = "nndoctor: trying"
STARTUP = 120.0  # seconds the script and its experiments may take on a loaded 2-core runner


def start_until_trials(
    out: Path, cwd: Path
) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    """nndoctor run on LR_HIGH in the background, returned once its fix trials started."""
    process = start("run", "--out", str(out), "--trial-seconds", "3", str(LR_HIGH), cwd=cwd)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + STARTUP
    while not any(line.startswith(TRIALS_STARTED) for line in lines):
        assert process.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.01)
    return process, lines, reader


def test_ctrl_c_during_fix_trials_skips_them_and_still_reports(tmp_path, background):
    out = tmp_path / "run"
    process, lines, reader = start_until_trials(out, tmp_path)
    background.append(process)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=WAIT)
    reader.join(timeout=WAIT)
    stderr, stdout = "".join(lines), process.stdout.read()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "fix trials took" not in stderr, "the remaining trials were skipped"
    report = read_report(out)
    assert printed(report["summary"], stdout)
    assert (out / "report.html").is_file()
    assert "lr-too-high" in finding_ids(report), "the diagnosis of the training is kept"


def test_ctrl_c_again_ends_at_once_without_a_traceback(tmp_path, background):
    process, lines, reader = start_until_trials(tmp_path / "run", tmp_path)
    background.append(process)
    deadline = time.monotonic() + WAIT
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    reader.join(timeout=WAIT)
    assert process.returncode == 130, "".join(lines)
    assert "Traceback" not in "".join(lines)


# ------------------------------------------------------------------ 16. runs side by side


def test_runs_launched_together_get_their_own_default_folders(tmp_path, background):
    processes = [start("run", "--quiet", str(HEALTHY), cwd=tmp_path) for _ in range(4)]
    background.extend(processes)
    for process in processes:
        _, stderr = process.communicate(timeout=WAIT * 3)
        assert process.returncode == 0, stderr
    folders = sorted((tmp_path / "nndoctor-runs").iterdir())
    assert len(folders) == 4, folders
    for folder in folders:
        assert re.fullmatch(r"healthy-\d[\d_T:.-]*\d", folder.name), folder.name
        assert step_lines(folder / "trace.jsonl") == 200, folder
        assert read_report(folder)["healthy"] is True


def test_a_run_folder_in_use_is_refused_naming_the_other_process(tmp_path, background):
    out = tmp_path / "run"
    first = start("run", "--out", str(out), str(LOOP), cwd=tmp_path)
    background.append(first)
    wait_for_steps(out / "trace.jsonl", 3, first)
    second = nndoctor("run", "--out", str(out), str(FLAT), cwd=tmp_path)
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert "--out" in second.stderr, "the message names the fix"
    assert "Traceback" not in second.stderr
    seen = step_lines(out / "trace.jsonl")
    wait_for_steps(out / "trace.jsonl", seen + 3, first)  # the first run's trace goes on
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=WAIT)
    assert first.returncode == 130
    assert "loss-plateau" not in finding_ids(read_report(out)), "the second run wrote nothing"


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path, background):
    out = tmp_path / "run"
    first = start("run", "--out", str(out), str(LOOP), cwd=tmp_path)
    background.append(first)
    wait_for_steps(out / "trace.jsonl", 3, first)
    first.kill()
    first.communicate(timeout=WAIT)
    second = nndoctor("run", "--out", str(out), "--quiet", str(FLAT), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "loss-plateau" in finding_ids(read_report(out))


# ------------------------------------------------------------------ 17. bad input, writes, warnings


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-seconds", "nan"),
        ("--max-seconds", "inf"),
        ("--trial-seconds", "nan"),
        ("--trial-seconds", "inf"),
        ("--trial-seconds", "-inf"),
    ],
)
def test_a_budget_that_is_not_a_finite_number_is_refused(tmp_path, option, value):
    result = nndoctor("run", f"{option}={value}", str(HEALTHY), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert option in result.stderr and value in result.stderr
    assert "finite" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "nndoctor-runs").exists()


def test_a_folder_given_as_the_script_is_named_a_folder(tmp_path):
    (tmp_path / "train").mkdir()
    result = nndoctor("run", "train", cwd=tmp_path)
    assert result.returncode == 2
    assert "is a folder" in result.stderr
    assert "no such script" not in result.stderr
    assert not (tmp_path / "nndoctor-runs").exists()


def test_a_report_that_cannot_be_written_exits_1_and_is_still_printed(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    out = tmp_path / "run"
    result = nndoctor("run", "--out", str(out), "--json", str(blocker / "r.json"), str(FLAT))
    assert result.returncode == 1, result.stderr
    assert "could not write" in result.stderr and "r.json" in result.stderr
    report = read_report(out)
    assert printed(report["summary"], result.stdout), "the report is printed all the same"
    again = nndoctor("report", "--html", str(blocker / "r.html"), str(out))
    assert again.returncode == 1, again.stderr
    assert printed(report["summary"], again.stdout)


def test_a_failed_script_keeps_its_exit_code_when_the_report_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    args = ["--out", str(tmp_path / "run"), "--json", str(blocker / "r.json"), str(EXITS), "3"]
    assert nndoctor("run", *args).returncode == 3


WARNS = SCRIPTS / "torch_warns.py"  # its loss call warns once (broadcast targets)
TARGET_SIZE_WARNING = "Using a target size"


def test_the_users_warning_is_shown_once_and_the_copies_add_none(run):
    result, _ = run(WARNS)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(TARGET_SIZE_WARNING) == 1, result.stderr


def test_keras_fix_trials_print_no_framework_warnings(tmp_path):
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    out = tmp_path / "run"
    script = SCRIPTS / "keras_raw_no_softmax.py"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nndoctor",
            "run",
            "--out",
            str(out),
            "--trial-seconds",
            "5",
            str(script),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "fix trials took" in result.stderr, "the trials ran"
    assert "UserWarning" not in result.stderr, result.stderr
    assert "retracing" not in result.stderr, result.stderr


def test_a_cause_the_configuration_proves_leads_a_crash_it_may_explain(run):
    result, report = run(SCRIPTS / "torch_softmax_then_crash.py", options=["--no-experiments"])
    assert result.returncode == 1, result.stderr
    problems = [f["id"] for f in report["findings"] if f["severity"] != "info"]
    assert problems[:2] == ["double-softmax", "script-failed"], problems
    assert "run_cut_short" in finding(report, "double-softmax")["evidence"]


def test_watch_blocks_one_after_another_may_share_a_run_folder(tmp_path):
    """The lock of a run folder is held while a trace is written, not for the process."""
    script = tmp_path / "twice.py"
    script.write_text(
        "import torch\nfrom torch import nn\nimport nndoctor.torch\n\n"
        "model = nn.Linear(4, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))\n"
        "for _ in range(2):\n"
        "    with nndoctor.torch.watch(model, opt, out='w'):\n"
        "        for _ in range(3):\n"
        "            opt.zero_grad()\n"
        "            nn.functional.cross_entropy(model(x), y).backward()\n"
        "            opt.step()\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert step_lines(tmp_path / "w" / "trace.jsonl") == 3
