"""Command line: `nndoctor run | report | rules | explain`."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from nndoctor import __version__
from nndoctor import session as _session
from nndoctor.early import EarlyDiagnosis
from nndoctor.errors import UsageError
from nndoctor.findings import Location, number, plural

# nndoctor's options come before SCRIPT; everything after it is the script's, as
# with `python`, `torchrun` and `coverage run` (DESIGN.md, CLI contract): a script
# has its own --out and --epochs.
_VALUED = {
    "--out",
    "--json",
    "--html",
    "--max-steps",
    "--max-seconds",
    "--trial-seconds",
    "--nproc-per-node",
}
# Default budget of each fix trial: the run's own wall time, clamped (issue 18: a
# short run is not tripled by its trials). 15 s is the budget trials had before
# (docs/fix-trials.md); 2 s the smallest our recorded trial runs used
# (tests/test_trace_fuzz.py's fixture was made with --trial-seconds 2).
TRIAL_SECONDS = (2.0, 15.0)
_FLAGS = {"--quiet", "--strict", "--no-experiments", "--until-diagnosed"}
USAGE_ERROR = 2  # argparse's exit code for a command line it rejects
INTERRUPTED = 130  # the shell's code for Ctrl-C (128 + SIGINT)
# A report file (--json, --html, the run folder's) could not be written: the report
# is printed all the same, but a CI step that reads the file must not pass. A script
# that failed keeps its own code.
REPORT_NOT_WRITTEN = 1
KILLED = "the process ended before nndoctor saw the script end (killed?)"
FRAMEWORKS = ("torch", "keras", "tensorflow", "jax")  # named in no-training-observed's evidence


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        ours, script_args = _split_run_args(args[1:])
        ns = parser.parse_args(["run", *ours])
        ns.script_args = script_args or []
        ns.ours = ours
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
        usage="nndoctor run [OPTIONS] SCRIPT [ARGS...]",
        description="Run SCRIPT as __main__ with its arguments, "
        "instrumented, then print the diagnosis. nndoctor's options come before "
        "SCRIPT; everything after SCRIPT goes to the script, as with python.",
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
        "--until-diagnosed",
        action="store_true",
        help="stop training once a cause is confident, then run the trials and report",
    )
    run.add_argument(
        "--no-experiments",
        action="store_true",
        help="skip active experiments (tiny-batch trial, fix trials on copies)",
    )
    run.add_argument(
        "--trial-seconds",
        type=float,
        help="time budget of each fix trial (default: the run's wall time, "
        f"{TRIAL_SECONDS[0]:g} to {TRIAL_SECONDS[1]:g} s; at most 200 steps)",
    )
    run.add_argument(
        "--nproc-per-node",
        type=int,
        metavar="N",
        help="train with N processes through torch's own launcher (torchrun, DDP); "
        "one report, from rank 0",
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


def _split_run_args(args: list[str]) -> tuple[list[str], list[str] | None]:
    """nndoctor's options and SCRIPT (for argparse), and the script's own arguments.

    The options end at the first word that is not one of ours (or after `--`);
    that word is SCRIPT and the rest is the script's, untouched. No SCRIPT: None.
    """
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        if args[i] == "--":
            if i + 1 == len(args):
                return args[:i], None
            return [*args[:i], "--", args[i + 1]], args[i + 2 :]
        i += 2 if args[i] in _VALUED else 1
    if i >= len(args):
        return args, None
    return [*args[:i], args[i]], args[i + 1 :]


def _misplaced_options(script_args: list[str]) -> list[str]:
    """nndoctor's own option names among the script's arguments."""
    names = [arg.split("=", 1)[0] for arg in script_args]
    return [name for name in names if name in _VALUED or name in _FLAGS]


def _error(message: str) -> int:
    print(f"nndoctor: {message}", file=sys.stderr)
    return 2


def _run(ns: argparse.Namespace) -> int:
    script = Path(ns.script)
    if script.is_dir():
        return _error(
            f"{script} is a folder, not a script. Give the training script in it, "
            f"e.g. nndoctor run {script / 'train.py'}"
        )
    if not script.is_file():
        return _error(
            f"no such script: {script}. Give the path of a Python training script, "
            "e.g. nndoctor run train.py"
        )
    if ns.max_steps is not None and ns.max_steps < 1:
        return _error("--max-steps must be at least 1")
    for option, seconds, instead in (
        ("--max-seconds", ns.max_seconds, "leave it out to train to the end"),
        ("--trial-seconds", ns.trial_seconds, "use --no-experiments"),
    ):
        if seconds is not None and not math.isfinite(seconds):
            return _error(
                f"{option} {seconds} is not a finite number of seconds. "
                f"Give one, e.g. {option} 60, or {instead}."
            )
    if ns.max_seconds is not None and ns.max_seconds <= 0:
        return _error("--max-seconds must be positive")
    if ns.trial_seconds is not None and not ns.trial_seconds > 0:
        return _error("--trial-seconds must be positive (or use --no-experiments)")
    if ns.nproc_per_node is not None:
        return _launch(ns)
    rank, ranks = _session.ranks()
    if ranks > 1 and (ns.until_diagnosed or ns.max_seconds is not None):
        # Each rank would stop at its own step, and the others would wait for it in
        # the next all-reduce forever. --max-steps stops every rank at the same step.
        return _error(
            "--until-diagnosed and --max-seconds stop each rank at its own step, which "
            "would leave the others waiting; with several ranks use --max-steps N."
        )
    # Absolute now: the script may chdir, and the report must land beside its trace.
    out = ns.out.resolve() if ns.out else None
    ns.json = ns.json.resolve() if ns.json else None
    ns.html = ns.html.resolve() if ns.html else None
    if out is not None and out.exists() and not out.is_dir():
        return _error(f"--out {out} is a file; give a folder for the run (it is created).")
    # Imported before the run's clock starts: the early checks need it from step 1,
    # and an import inside the training would eat into --max-seconds.
    import nndoctor.diagnosis  # noqa: F401

    try:
        out = out or (_rank_folder(script.stem) if ranks > 1 else _new_run_folder(script.stem))
        session = _session.Session(
            "numpy",
            out,
            ns.max_steps,
            ns.max_seconds,
            experiments=not ns.no_experiments and rank == 0,
            # numpy check() runs its trials inside the script, before its wall time is known.
            trial_seconds=TRIAL_SECONDS[1] if ns.trial_seconds is None else ns.trial_seconds,
            script=str(script),
            trace_name="trace.jsonl" if rank == 0 else f"trace.rank{rank}.jsonl",
        )
        session.early = EarlyDiagnosis(
            session, show=not ns.quiet and rank == 0, stop=ns.until_diagnosed
        )
    except _session.RunFolderInUse as error:
        return _error(str(error))
    except OSError as error:
        where = out or Path("nndoctor-runs").resolve()
        return _error(f"cannot create the run folder {where}: {error.strerror}. Use another --out.")
    from nndoctor.observations import RunInfo
    from nndoctor.probes.imports import instrument

    on_interrupt = signal.getsignal(signal.SIGINT)
    with instrument(session):
        ending = _execute(ns.script, ns.script_args, session)
        exit_code = ending.code
        wall_seconds = time.monotonic() - session.started
        session.early = None  # the trials' copies train after the script: no checks there
        # Before the trials: the causes they try are read knowing how the script ended.
        session.emit(
            RunInfo(
                session.framework,
                str(script),
                exit_code,
                round(wall_seconds, 3),
                session.stopped_early,
                ending.error,
                ending.location,
                tuple(name for name in FRAMEWORKS if name in sys.modules),
            )
        )
        misplaced = _misplaced_options(ns.script_args)
        if exit_code == USAGE_ERROR and misplaced:
            print(
                f"nndoctor: {misplaced[0]} came after the script, so it went to the script; "
                "put nndoctor's options before SCRIPT: "
                f"nndoctor run {misplaced[0]} ... {ns.script} [ARGS...]",
                file=sys.stderr,
            )
        if exit_code == INTERRUPTED:
            _end_on_next_interrupt(session)
        elif session.experiments:
            from nndoctor import engine

            try:
                engine.investigate(
                    session, _trial_seconds(ns.trial_seconds, wall_seconds), _Printer(ns.quiet)
                )
            except KeyboardInterrupt:
                print(
                    "\nnndoctor: interrupted; skipped the remaining experiments and fix trials, "
                    "diagnosing what finished (press Ctrl-C again to stop at once)",
                    file=sys.stderr,
                )
                exit_code = exit_code or INTERRUPTED  # a failed script keeps its own code
                _end_on_next_interrupt(session)
    session.flush()
    if rank != 0:  # one report, from rank 0; this rank's trace stays beside its
        session.close()
        return exit_code
    if ranks > 1:
        for event in _session.other_ranks(out, session.events, _session.RANK_WAIT):
            session.emit(event)
    from nndoctor.diagnosis import diagnose

    report = diagnose(session.observations())
    # The folder stays held until its report is written: then another run may take it.
    written = _publish(report, out, ns.json, ns.html, ns.quiet)
    session.close()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_interrupt)
    if exit_code == 0 and not written:
        return REPORT_NOT_WRITTEN
    if ns.strict and exit_code == 0 and not report.healthy:
        return 1
    return exit_code


def _rank_folder(stem: str) -> Path:
    """The one run folder every local rank of a torchrun launch agrees on.

    The launch's id when torchrun has one (--standalone or --rdzv-id), else the
    pid of the launcher that started them all.
    """
    launch = os.environ.get("TORCHELASTIC_RUN_ID", "none")
    name = f"{stem}-{launch}" if launch != "none" else f"{stem}-torchrun{os.getppid()}"
    folder = Path("nndoctor-runs").resolve() / re.sub(r"[^\w.-]", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _launch(ns: argparse.Namespace) -> int:
    """`--nproc-per-node N`: torch's own launcher runs `nndoctor run` on each rank."""
    if ns.nproc_per_node < 1:
        return _error("--nproc-per-node must be at least 1")
    try:
        from torch.distributed import run as torchrun
    except ImportError:
        return _error("--nproc-per-node needs PyTorch (it uses torchrun). Install torch.")
    out = (ns.out or _new_run_folder(Path(ns.script).stem)).resolve()
    ours, i = [], 0
    while i < len(ns.ours) - 1:  # our options without --nproc-per-node and --out
        name = ns.ours[i].split("=", 1)[0]
        step = 1 if "=" in ns.ours[i] or name not in _VALUED else 2
        if name not in ("--nproc-per-node", "--out"):
            ours += ns.ours[i : i + step]
        i += step
    command = [
        "--standalone",
        "--nproc-per-node",
        str(ns.nproc_per_node),
        "-m",
        "nndoctor",
        "run",
        "--out",
        str(out),
        *ours,
        ns.ours[-1],
        *ns.script_args,
    ]
    try:
        torchrun.main(command)
    except SystemExit as ended:
        return ended.code if isinstance(ended.code, int) else 1
    except Exception as error:  # noqa: BLE001 - torchrun reports a failed rank this way
        print(f"nndoctor: a rank failed: {type(error).__name__}", file=sys.stderr)
        return 1
    return 0


def _trial_seconds(given: float | None, wall_seconds: float) -> float:
    """--trial-seconds as given, else the run's wall time clamped to TRIAL_SECONDS."""
    if given is not None:
        return given
    low, high = TRIAL_SECONDS
    return round(min(high, max(low, wall_seconds)), 1)


def _new_run_folder(stem: str) -> Path:
    """nndoctor-runs/<script>-<time>, made here; -2, -3... when runs start in the same second.

    mkdir either creates the folder or fails: two runs never get the same one.
    """
    base = Path("nndoctor-runs").resolve() / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    base.parent.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        folder = base if number == 1 else base.with_name(f"{base.name}-{number}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            number += 1


def _end_on_next_interrupt(session: _session.Session) -> None:
    """After one Ctrl-C, the next one ends nndoctor at once: no report, the trace kept."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread (main() called from a thread)

    def stop_now(signum: int, frame: Any) -> None:
        try:
            session.close()
        finally:
            print("\nnndoctor: interrupted again; stopped without a report", file=sys.stderr)
            os._exit(INTERRUPTED)

    signal.signal(signal.SIGINT, stop_now)


class _Printer:
    """The engine's Progress in a terminal: a spinner while a copy trains, a line per trial."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.announced = quiet
        self.console = Console(stderr=True)
        self.count, self.seconds = 0, 0.0

    def starting(self, causes: Sequence[str], seconds: float, problems: bool) -> None:
        self.count, self.seconds = len(causes), seconds
        # A run with notes only is announced once a trial ran: most notes have nothing to try.
        if problems:
            self._announce()

    def trying(self, cause: str) -> contextlib.AbstractContextManager[Any]:
        if self.console.is_terminal and not self.quiet:
            return self.console.status(
                f"nndoctor: trying the fix for {cause} on a copy of your model"
            )
        return contextlib.nullcontext()

    def tried(self, cause: str, event: Any) -> None:
        if self.quiet:
            return
        self._announce()
        print(
            f"nndoctor:   {cause}: {event.fix}: {event.metric} "
            f"{number(event.before, 3)} -> {number(event.after, 3)} ({event.verdict}, "
            f"{plural(event.steps, 'step')}, {event.seconds:.1f} s)",
            file=sys.stderr,
        )

    def finished(self, seconds: float) -> None:
        if not self.quiet and self.announced:
            print(f"nndoctor: fix trials took {seconds:.1f} s", file=sys.stderr)

    def _announce(self) -> None:
        if not self.announced:
            print(
                f"nndoctor: trying {self.count} fix(es) on copies of your model "
                f"(<= {self.seconds:g} s each; --no-experiments skips this)",
                file=sys.stderr,
            )
            self.announced = True


class Ending(NamedTuple):
    """How the script ended: its exit code, and for a failure the error and the user's line."""

    code: int
    error: str | None = None
    location: Location | None = None


MAX_ERROR_CHARS = 500  # an exception text kept in the report: a few lines, not a tensor dump
_OURS = str(Path(__file__).resolve().parent)


def _execute(typed: str, script_args: list[str], session: _session.Session) -> Ending:
    """Run the script as __main__; its exit code (130 on Ctrl-C), never our exception.

    The script sees what `python SCRIPT ARGS` gives it: sys.argv[0] as typed, an
    absolute __file__, and its own folder (symlinks resolved) as sys.path[0].
    """
    script = Path(os.path.abspath(typed))
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [typed, *script_args]
    sys.path[0:1] = [os.path.dirname(os.path.realpath(script))]
    _session.activate(session)
    try:
        _run_as_main(str(script))
        return Ending(0)
    except _session.StopTraining as stop:
        print(f"nndoctor: {stop}", file=sys.stderr)
        return Ending(0)
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return Ending(0)
        if isinstance(code, int):
            return Ending(code, None if code == 0 else f"SystemExit: {code}", _raised_at(exit_))
        print(code, file=sys.stderr)
        return Ending(1, _clip(f"SystemExit: {code}"), _raised_at(exit_))
    except KeyboardInterrupt:
        print("\nnndoctor: interrupted; diagnosing what ran so far", file=sys.stderr)
        return Ending(130)
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
        return Ending(1, _clip(f"UsageError: {error}"), _raised_at(error))
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
        assert kind is not None and value is not None
        text = "".join(traceback.format_exception_only(kind, value)).strip().splitlines()[-1]
        return Ending(1, _clip(text), _raised_at(value))
    finally:
        _session.activate(None)
        sys.argv, sys.path[:] = saved_argv, saved_path


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _raised_at(error: BaseException) -> Location | None:
    """The innermost line of the user's code in the traceback (not ours, a library's or <...>)."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return Location(os.path.abspath(error.filename), error.lineno)
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = frame.f_code.co_filename
        if name.startswith((_OURS, "<")) or "/lib/python" in name or not line:
            continue
        found = Location(name, line)
    return found


def _run_as_main(path: str) -> None:
    """Execute the file as the __main__ module, as `python path` does.

    Not runpy.run_path: it sets sys.argv[0] to the path it is given, and the
    script must see argv[0] as typed beside an absolute __file__.
    """
    import builtins
    import importlib.machinery
    import io
    import types

    with io.open_code(path) as source:
        # dont_inherit: our own `from __future__` imports must not reach the script.
        code = compile(source.read(), path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=path,
        __loader__=importlib.machinery.SourceFileLoader("__main__", path),
        __spec__=None,
        __cached__=None,
        __builtins__=builtins,
    )
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


def _publish(
    report: Any, out: Path | None, json_path: Path | None, html_path: Path | None, quiet: bool
) -> bool:
    """Write the report files and print the report; False when a file could not be written."""
    from nndoctor.report.json_report import dumps

    text = dumps(report)
    html = _html(report)
    targets = [(json_path, text), (html_path, html)]
    if out is not None:
        targets += [(out / "report.json", text), (out / "report.html", html)]
    written = True
    for path, content in targets:
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        except OSError as error:
            print(f"nndoctor: could not write {path}: {error}", file=sys.stderr)
            written = False
    if quiet:
        print(report.summary)
    else:
        report.show()
        if out is not None:
            print(f"run folder: {out}")
    return written


def _html(report: Any) -> str:
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
    from nndoctor.observations import RunInfo, fold

    events += _session.other_ranks(ns.run_dir, events)  # rank 0 killed before it merged
    obs = fold(events)
    if obs.started is not None and obs.run is None:
        # `nndoctor run` started it and never wrote how it ended: the process was killed.
        events.append(RunInfo(obs.framework, obs.started.script, None, 0.0, False, KILLED))
    report = diagnose(fold(events))
    written = _publish(report, ns.run_dir, ns.json, ns.html, ns.quiet)
    return 0 if written else REPORT_NOT_WRITTEN


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
