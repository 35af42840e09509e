"""One path from a session to a report, for every entry point (issue 15).

    events ─▶ fold ─▶ rules ─▶ diagnosis ─▶ experiments ─▶ diagnosis ─▶ fix trials ─▶ report
                                     (on copies, through the session's adapter)

`nndoctor run`, `watch().report()`, `DiagnosisCallback.report()` and
`nndoctor.numpy.check` all call `investigate` then `report`: on the same
training they try the same causes in the same order with the same budget, so
they give the same cause ids, experiments and `validated` flags. What differs
between them is only the adapter (what a framework can copy and train) and the
`Progress` (the CLI prints a line per trial; a one-liner prints nothing).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

from nndoctor.diagnosis import Report, diagnose
from nndoctor.findings import Finding
from nndoctor.observations import InternalError, Observations

MAX_TRIALS = 4  # fix trials per run: the first causes, most likely first (issue 8)


class Adapter(Protocol):
    """What a framework offers the engine: a trainable copy of the user's training.

    `experiments` and `trial` return events for the session (OverfitTrial,
    LRProbe, InputDependence, FixTrial...); a failure inside them is their own
    InternalError event, never an exception out of the user's run.
    """

    framework: str
    fixable: Collection[str]  # the cause ids this adapter has a remedy for
    # Why no copy can be trained (bare tensors updated by hand, several models, the
    # memory budget), stated in the experiments-skipped note; None: copies can train.
    skipped: str | None

    def experiments(self, obs: Observations, seconds: float) -> list[Any]: ...

    def trial(
        self, obs: Observations, cause: str, seconds: float, found: Sequence[str]
    ) -> list[Any]: ...


class Progress(Protocol):
    """Where the engine says what it is doing while copies train."""

    def starting(self, causes: Sequence[str], seconds: float, problems: bool) -> None: ...

    def trying(self, cause: str) -> AbstractContextManager[Any]: ...

    def tried(self, cause: str, event: Any) -> None: ...

    def finished(self, seconds: float) -> None: ...


class Quiet:
    """The Progress of one-liners: they return the report and print nothing."""

    def starting(self, causes: Sequence[str], seconds: float, problems: bool) -> None:
        pass

    def trying(self, cause: str) -> AbstractContextManager[Any]:
        return nullcontext()

    def tried(self, cause: str, event: Any) -> None:
        pass

    def finished(self, seconds: float) -> None:
        pass


class Session(Protocol):
    """The part of `nndoctor.session.Session` the engine uses."""

    adapter: Adapter | None
    investigated: bool

    def emit(self, event: Any) -> None: ...

    def observations(self) -> Observations: ...


def causes_to_try(findings: Sequence[Finding], fixable: Collection[str]) -> list[str]:
    """The causes to try, at most MAX_TRIALS: problems first, most likely first; then
    the notes a trial could prove harmful, while there is room."""
    causes = [f for f in findings if f.kind == "cause"]
    ranked = [f for f in causes if f.is_problem] + [f for f in causes if not f.is_problem]
    return [f.id for f in ranked if f.id in fixable][:MAX_TRIALS]


def investigate(session: Session, seconds: float, progress: Progress | None = None) -> None:
    """Experiments, then fix trials of the causes found, on copies; once per session.

    Every event goes into the session as soon as it exists, so a Ctrl-C during the
    trials (KeyboardInterrupt, re-raised) leaves what finished in the report.
    """
    adapter = session.adapter
    if adapter is None or session.investigated or adapter.skipped:
        return  # a stated reason (the experiments-skipped note): no "trying" line
    session.investigated = True
    with _frameworks_quiet():
        _investigate(session, adapter, seconds, progress or Quiet())


def _investigate(session: Session, adapter: Adapter, seconds: float, progress: Progress) -> None:
    # Experiments that sharpen the diagnosis (label control, tiny batch, LR range,
    # input dependence) come first: the causes to try depend on them.
    with _keeping_finished(session):
        obs = session.observations()
        for event in _guarded(adapter, "experiments", adapter.experiments, obs, seconds):
            session.emit(event)
    obs = session.observations()
    findings = diagnose(obs).findings
    causes = causes_to_try(findings, adapter.fixable)
    if not causes:
        return
    problems = {f.id for f in findings if f.is_problem}
    started = time.monotonic()
    progress.starting(causes, seconds, any(c in problems for c in causes))
    for cause in causes:
        with _keeping_finished(session), progress.trying(cause):
            label = f"fix trial {cause}"
            events = _guarded(adapter, label, adapter.trial, obs, cause, seconds, causes)
        for event in events:
            session.emit(event)
            if hasattr(event, "validated"):
                progress.tried(cause, event)
    progress.finished(time.monotonic() - started)


def report(
    session: Session,
    trials: bool = True,
    seconds: float = 15.0,
    progress: Progress | None = None,
) -> Report:
    """The diagnosis of the session, after its experiments and fix trials when `trials`."""
    if trials:
        investigate(session, seconds, progress)
    return diagnose(session.observations())


def _guarded(adapter: Adapter, label: str, call: Any, *args: Any) -> list[Any]:
    """An adapter's events; a failure of the adapter itself is an InternalError event."""
    try:
        return list(call(*args))
    except Exception as error:  # noqa: BLE001 - a failed trial or experiment is a note
        where = f"{adapter.framework} {label}"
        return [InternalError(where, f"{type(error).__name__}: {error}")]


@contextmanager
def _frameworks_quiet() -> Iterator[None]:
    """No framework warnings from our copies: the user saw them once, from their own run.

    The engine runs after the training it diagnoses (the script has ended, or
    `report()` was called), so what is silenced comes from nndoctor's experiments
    and trials (Keras cloning notes, TensorFlow retracing logs), never the user's.
    """
    tensorflow = logging.getLogger("tensorflow")  # TF's Python logger; no import of TF
    level = tensorflow.level
    tensorflow.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        tensorflow.setLevel(level)


@contextmanager
def _keeping_finished(session: Session) -> Iterator[None]:
    """Ctrl-C inside an adapter call: the events it finished go to the session first."""
    try:
        yield
    except KeyboardInterrupt as interrupt:
        for event in getattr(interrupt, "finished", ()):
            session.emit(event)
        interrupt.finished = []  # type: ignore[attr-defined]
        raise
