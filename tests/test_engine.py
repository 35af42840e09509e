"""The engine (issue 15): what it tries, in which order, and what a failing adapter leaves.

The sessions hold a real NumPy training recorded by `Monitor` (a hand-written
MLP at 100x its working rate: lr-too-high); the adapter is a recorder, the
part each framework supplies, so the engine's own decisions show alone.
"""

from __future__ import annotations

import pytest
from nets import MLP, digits

import nndoctor.numpy as nnd
from nndoctor import engine
from nndoctor.findings import Finding
from nndoctor.observations import InternalError, OverfitTrial

X, _, Y = digits(600)


class Recorder:
    """An adapter that records what the engine asks of it."""

    framework = "numpy"
    skipped = None

    def __init__(self, fixable=("lr-too-high",), fail_in=None, interrupt=False) -> None:
        self.fixable = frozenset(fixable)
        self.fail_in, self.interrupt = fail_in, interrupt
        self.calls: list[tuple[str, ...]] = []

    def experiments(self, obs, seconds):
        self.calls.append(("experiments",))
        if self.fail_in == "experiments":
            raise RuntimeError("no copy")
        return [OverfitTrial(16, 10, 0.1, "loss", 2.0, 0.1)]

    def trial(self, obs, cause, seconds, found):
        self.calls.append(("trial", cause, *found))
        if self.interrupt:
            error = KeyboardInterrupt()
            error.finished = [InternalError("finished before Ctrl-C", "kept")]
            raise error
        if self.fail_in == "trial":
            raise ValueError("clone failed")
        return []


def _diverging_session(adapter: Recorder):
    net = MLP(lr=50.0)
    monitor = nnd.Monitor(params=lambda: net.params)
    net.train(X, Y, epochs=2, monitor=monitor)
    session = monitor._session
    session.attach(adapter)
    return session


def _finding(id_: str, severity: str) -> Finding:
    return Finding(id_, "cause", severity, 0.5, id_, "", {}, "")


def test_problems_are_tried_before_notes_and_at_most_four():
    findings = [_finding(f"note-{i}", "info") for i in range(3)]
    findings += [_finding(f"problem-{i}", "warning") for i in range(5)]
    fixable = {f.id for f in findings} - {"problem-1"}
    assert engine.causes_to_try(findings, fixable) == [
        "problem-0",
        "problem-2",
        "problem-3",
        "problem-4",
    ]
    assert engine.causes_to_try(findings[:3], {"note-2"}) == ["note-2"]


def test_engine_runs_experiments_then_tries_the_found_cause_once():
    adapter = Recorder()
    session = _diverging_session(adapter)
    report = engine.report(session, trials=True, seconds=1.0)
    assert adapter.calls == [("experiments",), ("trial", "lr-too-high", "lr-too-high")]
    assert "overfit-tiny-batch" in [e.name for e in report.experiments]
    engine.report(session, trials=True, seconds=1.0)
    assert len(adapter.calls) == 2, "a second report() runs nothing again"


def test_nothing_fixable_means_no_trial_and_no_trials_means_no_experiment():
    adapter = Recorder(fixable=())
    engine.report(_diverging_session(adapter), trials=True, seconds=1.0)
    assert adapter.calls == [("experiments",)]
    quiet = Recorder()
    engine.report(_diverging_session(quiet), trials=False)
    assert quiet.calls == []


@pytest.mark.parametrize("fail_in", ["experiments", "trial"])
def test_a_failing_adapter_becomes_an_internal_error_and_the_report_stands(fail_in):
    report = engine.report(_diverging_session(Recorder(fail_in=fail_in)), seconds=1.0)
    assert "lr-too-high" in report.ids
    errors = [f for f in report.findings if f.id == "internal-error"]
    assert len(errors) == 1 and fail_in in errors[0].where


def test_ctrl_c_in_a_trial_keeps_what_finished_and_reaches_the_caller():
    session = _diverging_session(Recorder(interrupt=True))
    with pytest.raises(KeyboardInterrupt) as raised:
        engine.investigate(session, 1.0)
    assert raised.value.finished == [], "the engine emitted them; the CLI must not again"
    assert InternalError("finished before Ctrl-C", "kept") in session.events
