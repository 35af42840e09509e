"""The run being diagnosed: where probes send observations as they happen.

`nndoctor run` opens one session with a run folder before the user's script
starts; probes (the NumPy `check`/`Monitor`, framework hooks) emit events into
it and they are appended to `trace.jsonl` and flushed at least every second,
so a killed run keeps nearly all it saw. Without `nndoctor run`, each probe
works in a private session with no folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from nndoctor.findings import plural
from nndoctor.observations import InternalError, Observations, fold, from_json, to_json

FLUSH_SECONDS = 1.0  # DESIGN.md: a killed run loses at most the last second


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
    ) -> None:
        self.framework = framework
        self.out_dir = out_dir
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.experiments = experiments
        self.trial_seconds = trial_seconds  # budget of each fix trial (--trial-seconds)
        self.started = time.monotonic()
        self.events: list[Any] = []
        self.steps = 0
        self.stopped_early = False
        self._file: TextIO | None = None
        self._last_flush = 0.0
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            # A new run starts a new trace: appending would mix two runs in one report.
            self._file = (out_dir / "trace.jsonl").open("w", encoding="utf-8")

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
        over_steps = self.max_steps is not None and self.steps >= self.max_steps
        over_time = (
            self.max_seconds is not None and time.monotonic() - self.started >= self.max_seconds
        )
        if over_steps or over_time:
            self.stopped_early = True
            raise StopTraining(f"nndoctor stopped the training after {plural(self.steps, 'step')}")

    def observations(self) -> Observations:
        return fold(self.events, self.framework)

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None


_current: Session | None = None


def current() -> Session | None:
    """The session `nndoctor run` opened, if any."""
    return _current


def activate(session: Session | None) -> None:
    global _current
    _current = session


def read_trace(path: Path) -> tuple[list[Any], int]:
    """Events of a trace.jsonl and how many lines could not be read (e.g. cut off by a kill)."""
    events, skipped = [], 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                events.append(from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError, AttributeError):
                skipped += 1
    return events, skipped
