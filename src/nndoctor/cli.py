"""Command line: `nndoctor run | report | rules | explain`."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from nndoctor import __version__
from nndoctor import session as _session
from nndoctor.errors import UsageError
from nndoctor.findings import number, plural

# Our options may also follow the script's own arguments (DESIGN.md writes
# `nndoctor run SCRIPT [ARGS…] [--out DIR]`); after a literal `--` everything
# goes to the script.
_VALUED = {"--out", "--json", "--html", "--max-steps", "--max-seconds", "--trial-seconds"}
MAX_TRIALS = 4  # fix trials per run: the first causes, most likely first
_FLAGS = {"--quiet", "--strict", "--no-experiments"}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        ours, script_args = _split_run_args(args[1:])
        ns = parser.parse_args(["run", *ours])
        ns.script_args = script_args
    else:
        ns = parser.parse_args(args)
    if ns.command is None:
        parser.print_help()
        return 2
    try:
        code = int(ns.handler(ns))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        # `nndoctor rules | head`: the reader left. Stop quietly, as a process that
        # SIGPIPE ended (128 + 13); send the unflushed rest nowhere so Python's exit
        # flush does not raise again (the recipe of Python's `signal` docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nndoctor", description="Tells you why your neural network does not train."
    )
    parser.add_argument("--version", action="version", version=f"nndoctor {__version__}")
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser(
        "run",
        help="run a training script and diagnose it",
        description="Run SCRIPT as __main__ with its arguments, "
        "instrumented, then print the diagnosis. Options may come before "
        "SCRIPT or after its arguments; after '--' all go to the script.",
    )
    run.add_argument("script", help="the training script")
    run.add_argument("--out", type=Path, help="run folder (default nndoctor-runs/<script>-<time>)")
    run.add_argument("--json", type=Path, help="also write report.json here")
    run.add_argument("--html", type=Path, help="also write report.html here")
    run.add_argument("--quiet", action="store_true", help="print only the summary line")
    run.add_argument(
        "--strict", action="store_true", help="exit 1 when any warning or error is found (for CI)"
    )
    run.add_argument("--max-steps", type=int, help="stop training after N steps, then diagnose")
    run.add_argument("--max-seconds", type=float, help="stop training after S seconds")
    run.add_argument(
        "--no-experiments",
        action="store_true",
        help="skip active experiments (tiny-batch trial, fix trials on copies)",
    )
    run.add_argument(
        "--trial-seconds",
        type=float,
        default=15.0,
        help="time budget of each fix trial (default 15; at most 200 steps)",
    )
    run.set_defaults(handler=_run)

    report = commands.add_parser(
        "report",
        help="re-analyse a saved run folder",
        description="Re-analyse RUN_DIR (also one whose process was "
        "killed) and print and write its report again.",
    )
    report.add_argument("run_dir", type=Path)
    report.add_argument("--json", type=Path, help="also write report.json here")
    report.add_argument("--html", type=Path, help="also write report.html here")
    report.add_argument("--quiet", action="store_true")
    report.set_defaults(handler=_report)

    rules = commands.add_parser("rules", help="list every finding id with its meaning")
    rules.set_defaults(handler=_rules)
    explain = commands.add_parser("explain", help="print the documentation of one finding id")
    explain.add_argument("id")
    explain.set_defaults(handler=_explain)
    return parser


def _split_run_args(args: list[str]) -> tuple[list[str], list[str]]:
    ours: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):  # options before the script
        ours.append(args[i])
        if args[i] in _VALUED and i + 1 < len(args):
            ours.append(args[i + 1])
            i += 1
        i += 1
    if i == len(args):
        return ours, []
    ours.append(args[i])
    script: list[str] = []
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        item = rest[j]
        if item == "--":
            script.extend(rest[j + 1 :])
            break
        name = item.split("=", 1)[0]
        if name in _FLAGS:
            ours.append(item)
        elif name in _VALUED:
            ours.append(item)
            if "=" not in item and j + 1 < len(rest):
                ours.append(rest[j + 1])
                j += 1
        else:
            script.append(item)
        j += 1
    return ours, script


def _error(message: str) -> int:
    print(f"nndoctor: {message}", file=sys.stderr)
    return 2


def _run(ns: argparse.Namespace) -> int:
    script = Path(ns.script)
    if not script.is_file():
        return _error(
            f"no such script: {script}. Give the path of a Python training script, "
            "e.g. nndoctor run train.py"
        )
    if ns.max_steps is not None and ns.max_steps < 1:
        return _error("--max-steps must be at least 1")
    if ns.max_seconds is not None and ns.max_seconds <= 0:
        return _error("--max-seconds must be positive")
    if ns.trial_seconds <= 0:
        return _error("--trial-seconds must be positive (or use --no-experiments)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # Absolute now: the script may chdir, and the report must land beside its trace.
    out = (ns.out or Path("nndoctor-runs") / f"{script.stem}-{stamp}").resolve()
    ns.json = ns.json.resolve() if ns.json else None
    ns.html = ns.html.resolve() if ns.html else None
    if out.exists() and not out.is_dir():
        return _error(f"--out {out} is a file; give a folder for the run (it is created).")
    try:
        session = _session.Session(
            "numpy",
            out,
            ns.max_steps,
            ns.max_seconds,
            experiments=not ns.no_experiments,
            trial_seconds=ns.trial_seconds,
        )
    except OSError as error:
        return _error(f"cannot create the run folder {out}: {error.strerror}. Use another --out.")
    from nndoctor.probes.imports import instrument

    with instrument(session):
        exit_code = _execute(script, ns.script_args, session)
        if session.experiments and exit_code != 130:
            _try_fixes(session, ns.trial_seconds, ns.quiet)
    from nndoctor.observations import RunInfo

    session.emit(
        RunInfo(
            session.framework,
            str(script),
            exit_code,
            round(time.monotonic() - session.started, 3),
            session.stopped_early,
        )
    )
    session.close()
    from nndoctor.diagnosis import diagnose

    report = diagnose(session.observations())
    _publish(report, out, ns.json, ns.html, ns.quiet)
    if ns.strict and exit_code == 0 and not report.healthy:
        return 1
    return exit_code


def _try_fixes(session: _session.Session, seconds: float, quiet: bool) -> None:
    """Fix trials on copies of the model the probe watched (PyTorch, Keras): issue 8."""
    probe: Any
    if session.framework == "keras" and "nndoctor.probes.keras" in sys.modules:
        from nndoctor.probes import keras_trials as trials
        from nndoctor.probes.keras import KerasProbe

        probe = KerasProbe.active
    elif "nndoctor.probes.torch" in sys.modules:
        from nndoctor.probes import torch_trials as trials
        from nndoctor.probes.torch import TorchProbe

        probe = TorchProbe.active
    else:
        return
    if probe is None:
        return
    from nndoctor.diagnosis import diagnose

    # Experiments that sharpen the diagnosis (label control, tiny batch, LR range,
    # input dependence) come first: the causes to try depend on them.
    for event in trials.experiments(probe, session.observations(), seconds):
        session.emit(event)
    obs = session.observations()
    findings = [f for f in diagnose(obs).findings if f.kind == "cause"]
    # Problems first; then the notes a trial could prove harmful, while there is room.
    ranked = [f for f in findings if f.is_problem] + [f for f in findings if not f.is_problem]
    causes = [f.id for f in ranked if f.id in trials.FIXES][:MAX_TRIALS]
    if not causes:
        return
    started = time.monotonic()
    # A run with notes only is announced once a trial ran: most notes have nothing to try.
    announced = quiet

    def announce() -> None:
        nonlocal announced
        if not announced:
            print(f"nndoctor: trying {len(causes)} fix(es) on copies of your model "
                  f"(<= {seconds:g} s each; --no-experiments skips this)", file=sys.stderr)
            announced = True

    if any(f.is_problem for f in ranked if f.id in causes):
        announce()
    from contextlib import nullcontext

    from rich.console import Console

    console = Console(stderr=True)
    for cause in causes:
        # A spinner in a terminal while the copies train; a line per finished trial.
        status = (
            console.status(f"nndoctor: trying the fix for {cause} on a copy of your model")
            if console.is_terminal and not quiet
            else nullcontext()
        )
        with status:
            # Keras pairs a fix that fails alone with another found cause's fix.
            extra = {"found": causes} if session.framework == "keras" else {}
            events = trials.run(probe, obs, [cause], seconds, **extra)
        for event in events:
            session.emit(event)
            if not quiet and hasattr(event, "validated"):
                announce()
                verdict = "fixed" if event.validated else "did not help"
                print(
                    f"nndoctor:   {cause}: {event.fix}: {event.metric} "
                    f"{number(event.before, 3)} -> {number(event.after, 3)} ({verdict}, "
                    f"{plural(event.steps, 'step')}, {event.seconds:.1f} s)",
                    file=sys.stderr,
                )
    if not quiet and announced:
        print(f"nndoctor: fix trials took {time.monotonic() - started:.1f} s", file=sys.stderr)


def _execute(script: Path, script_args: list[str], session: _session.Session) -> int:
    """Run the script as __main__; its exit code (130 on Ctrl-C), never our exception."""
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(script), *script_args]
    sys.path.insert(0, str(script.resolve().parent))
    _session.activate(session)
    try:
        runpy.run_path(str(script), run_name="__main__")
        return 0
    except _session.StopTraining as stop:
        print(f"nndoctor: {stop}", file=sys.stderr)
        return 0
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nnndoctor: interrupted; diagnosing what ran so far", file=sys.stderr)
        return 130
    except UsageError as error:
        # Our API was called wrongly: the message names the fix; the place is the
        # user's line, not our internals.
        frame, line = error.__traceback__, None
        while frame is not None:
            if Path(frame.tb_frame.f_code.co_filename).resolve() == script.resolve():
                line = frame.tb_lineno
            frame = frame.tb_next
        where = f" (at {script}:{line})" if line else ""
        print(f"nndoctor: {error}{where}", file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - the user's script failed: show its traceback
        kind, value, tb = sys.exc_info()
        # Show the traceback from the script's own first frame, not from ours.
        frame = tb
        while (
            frame is not None
            and Path(frame.tb_frame.f_code.co_filename).resolve() != script.resolve()
        ):
            frame = frame.tb_next
        if frame is None and isinstance(value, SyntaxError):
            tb = None  # the script did not compile: its file and line are in the message
        traceback.print_exception(kind, value, frame or tb)
        return 1
    finally:
        _session.activate(None)
        sys.argv, sys.path[:] = saved_argv, saved_path


def _publish(
    report: Any, out: Path | None, json_path: Path | None, html_path: Path | None, quiet: bool
) -> None:
    from nndoctor.report.json_report import dumps

    text = dumps(report)
    html = _html(report)
    targets = [(json_path, text), (html_path, html)]
    if out is not None:
        targets += [(out / "report.json", text), (out / "report.html", html)]
    for path, content in targets:
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        except OSError as error:
            print(f"nndoctor: could not write {path}: {error}", file=sys.stderr)
    if quiet:
        print(report.summary)
    else:
        report.show()
        if out is not None:
            print(f"run folder: {out}")


def _html(report: Any) -> str:
    import warnings

    from nndoctor.report.html import fallback, render

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # plotting notes are ours, not the user's
            return render(report)
    except Exception as error:  # noqa: BLE001 - the diagnosis was made; never lose it to the page
        return fallback(report, error)


def _report(ns: argparse.Namespace) -> int:
    trace = ns.run_dir / "trace.jsonl"
    if not ns.run_dir.is_dir():
        return _error(
            f"{ns.run_dir} is not a folder. Give a run folder written by nndoctor run "
            "(it holds trace.jsonl)."
        )
    if not trace.is_file():
        return _error(f"{ns.run_dir} is not a run folder: it has no trace.jsonl.")
    events, skipped = _session.read_trace(trace)
    if not events:
        return _error(f"{trace} holds no readable event ({skipped} unreadable lines).")
    if skipped:
        print(
            f"nndoctor: skipped {skipped} unreadable line{'s' if skipped != 1 else ''} of "
            f"{trace} (cut off when the run was killed?)",
            file=sys.stderr,
        )
    from nndoctor.diagnosis import diagnose
    from nndoctor.observations import fold

    report = diagnose(fold(events))
    _publish(report, ns.run_dir, ns.json, ns.html, ns.quiet)
    return 0


def _rules(ns: argparse.Namespace) -> int:
    from nndoctor.rules import RULES, summary_line

    width = max(len(rule.ID) for rule in RULES)
    for rule in RULES:
        print(f"{rule.ID:<{width}}  {rule.KIND:<7}  {summary_line(rule)}")
    return 0


def _explain(ns: argparse.Namespace) -> int:
    from nndoctor.rules import explain, pages

    text = explain(ns.id)
    if text is None:
        return _error(f"unknown id {ns.id!r}. Known ids: {', '.join(sorted(pages()))}")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
