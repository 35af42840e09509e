"""The run being diagnosed: where probes send observations as they happen.

`nndoctor run` opens one session with a run folder before the user's script
starts; probes (the NumPy `check`/`Monitor`, framework hooks) emit events into
it and they are appended to `trace.jsonl` and flushed at least every second,
so a killed run keeps nearly all it saw. Without `nndoctor run`, each probe
works in a private session with no folder.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nndoctor.errors import UsageError
from nndoctor.findings import plural
from nndoctor.observations import (
    InternalError,
    Observations,
    RunStarted,
    fold,
    from_json,
    to_json,
)

if TYPE_CHECKING:
    from nndoctor.early import EarlyDiagnosis

FLUSH_SECONDS = 1.0  # DESIGN.md: a killed run loses at most the last second
LOCK_NAME = ".nndoctor.lock"  # in the run folder: which process writes it now


class RunFolderInUse(UsageError):
    """Another live `nndoctor run` writes this run folder: two traces would interleave."""


class StopTraining(BaseException):
    """Raised inside the user's loop to end training at --max-steps/--max-seconds.

    A BaseException, like KeyboardInterrupt, so that a user's `except Exception`
    does not swallow it.
    """


class Session:
    def __init__(
        self,
        framework: str = "numpy",
        out_dir: Path | None = None,
        max_steps: int | None = None,
        max_seconds: float | None = None,
        experiments: bool = True,
        trial_seconds: float = 15.0,
        script: str | None = None,
        trace_name: str = "trace.jsonl",
    ) -> None:
        self._framework = framework
        self.script = script  # the script `nndoctor run` runs; None for watch() and check()
        self.out_dir = out_dir
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.experiments = experiments
        self.trial_seconds = trial_seconds  # budget of each fix trial (--trial-seconds)
        self.started = time.monotonic()
        self.events: list[Any] = []
        self.steps = 0
        self.stopped_early = False
        # The adapters of the frameworks seen, by name: the engine trains copies through
        # the one of the framework that trained (issue 15: no global decides it).
        self.adapters: dict[str, Any] = {}
        self.investigated = False  # the engine ran its experiments and fix trials
        # Checks the trace while it grows (nndoctor run sets it): early.EarlyDiagnosis.
        self.early: EarlyDiagnosis | None = None
        self._file: TextIO | None = None
        self._lock: TextIO | None = None
        self._last_flush = 0.0
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            if trace_name == "trace.jsonl":  # another rank's trace beside it takes no lock
                self._lock = _hold(out_dir)
            # A new run starts a new trace: appending would mix two runs in one report.
            self._file = (out_dir / trace_name).open("w", encoding="utf-8")
        if script is not None:
            self.emit(RunStarted(script, framework))

    @property
    def framework(self) -> str:
        return self._framework

    @framework.setter
    def framework(self, name: str) -> None:
        # Recorded as soon as it is known: a killed torch run must not read back as numpy.
        if name != self._framework and self.script is not None:
            self.emit(RunStarted(self.script, name))
        self._framework = name

    @property
    def adapter(self) -> Any:
        """The adapter of the framework that trained, if it attached one."""
        return self.adapters.get(self.framework)

    def attach(self, adapter: Any) -> None:
        """Offer the engine a trainable copy of this framework's training."""
        self.adapters[adapter.framework] = adapter

    def emit(self, event: Any) -> None:
        self.events.append(event)
        if self._file is None:
            return
        try:
            self._file.write(json.dumps(to_json(event)) + "\n")
            now = time.monotonic()
            if now - self._last_flush >= FLUSH_SECONDS:
                self._file.flush()
                self._last_flush = now
        except (OSError, TypeError, ValueError) as error:
            self.events.append(InternalError("trace.jsonl", f"{type(error).__name__}: {error}"))

    def count_step(self) -> None:
        """Count one optimizer step; stop the training when the budget is spent."""
        self.steps += 1
        early = self.early
        if early is not None and self.steps >= early.next_step:
            cause = early.check(self.steps)
            if cause is not None:
                self.stopped_early = True
                raise StopTraining(
                    f"stopped the training after {plural(self.steps, 'step')}: "
                    f"{cause} is confident (--until-diagnosed)"
                )
        over_steps = self.max_steps is not None and self.steps >= self.max_steps
        over_time = (
            self.max_seconds is not None and time.monotonic() - self.started >= self.max_seconds
        )
        if over_steps or over_time:
            self.stopped_early = True
            # cli prints it after "nndoctor: ".
            raise StopTraining(f"stopped the training after {plural(self.steps, 'step')}")

    def observations(self) -> Observations:
        return fold(self.events, self.framework)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """End the trace and let another run use the run folder."""
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.truncate(0)
            self._lock.close()  # closing the file drops the OS lock
            self._lock = None


def _hold(folder: Path) -> TextIO:
    """An exclusive OS lock on the run folder, or RunFolderInUse naming its holder.

    The operating system drops the lock when its process ends, however it ends, so
    the folder of a killed run is taken over without asking. The lock file is never
    deleted: deleting it would let two runs lock two different files.
    """
    handle = (folder / LOCK_NAME).open("a+", encoding="utf-8")
    try:
        _lock_file(handle)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "a process that did not say which"
        handle.close()
        raise RunFolderInUse(
            f"the run folder {folder} is in use by another nndoctor run ({holder}). "
            "Give this run another --out, or wait until that one ends."
        ) from None
    handle.truncate(0)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {stamp}\n")
    handle.flush()
    return handle


def _lock_file(handle: TextIO) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: lock the first byte instead
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


_current: Session | None = None


def current() -> Session | None:
    """The session `nndoctor run` opened, if any."""
    return _current


def activate(session: Session | None) -> None:
    global _current
    _current = session


def read_trace(path: Path) -> tuple[list[Any], int]:
    """Events of a trace.jsonl and how many lines could not be read.

    A line cut off by a kill, or one that is not an event as `to_json` writes it
    (an unknown kind, a field missing, extra or of the wrong type), is skipped and
    counted; no line makes this raise (tests/test_trace_fuzz.py).
    """
    events, skipped = [], 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                events.append(from_json(json.loads(line)))
            # ValueError: not JSON (json.JSONDecodeError) or not an event (from_json);
            # RecursionError: JSON nested deeper than the parser's stack.
            except (ValueError, RecursionError):
                skipped += 1
    return events, skipped


def ranks() -> tuple[int, int]:
    """This process's global rank and the number of ranks, as torchrun sets them."""
    try:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 0, 1


RANK_WAIT = 10.0  # seconds rank 0 waits for another rank's trace to end (they train in step)


def other_ranks(folder: Path, have: list[Any], wait: float = 0.0) -> list[Any]:
    """The other ranks' fingerprints from their traces beside `folder`'s trace.jsonl,
    those not in `have` already. With `wait`, each trace is read again until its rank
    has ended (its RunInfo is written) or `wait` seconds have passed."""
    from nndoctor.observations import RankPrint, RunInfo

    deadline = time.monotonic() + wait
    merged = {(e.rank, e.step) for e in have if type(e) is RankPrint}
    found: list[Any] = []
    for path in sorted(folder.glob("trace.rank*.jsonl")):
        while True:
            events, _ = read_trace(path)
            if any(type(e) is RunInfo for e in events) or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        found += [e for e in events if type(e) is RankPrint and (e.rank, e.step) not in merged]
    return found
