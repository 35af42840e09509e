"""Diagnose a network written by hand in NumPy: `check(...)` and `Monitor`.

Example:
    >>> import nndoctor.numpy as nnd
    >>> nnd.check(params, x, y, forward=forward, loss=loss,
    ...           gradients=backward, step=train_step, predict=predict)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nndoctor import engine
from nndoctor import session as _session
from nndoctor.observations import RunInfo
from nndoctor.probes import numpy as _probe
from nndoctor.probes.numpy import OVERFIT_SECONDS, OVERFIT_STEPS, Params

__all__ = ["Monitor", "check"]


def check(
    params: Params,
    x: Any,
    y: Any,
    *,
    forward: Callable[[Any], Any] | None = None,
    loss: Callable[[Any, Any], float] | None = None,
    gradients: Callable[[Any, Any], Any] | None = None,
    step: Callable[[Any, Any], Any] | None = None,
    predict: Callable[[Any], Any] | None = None,
    overfit_steps: int = OVERFIT_STEPS,
    overfit_seconds: float = OVERFIT_SECONDS,
    trial_seconds: float | None = None,
    show: bool | None = None,
) -> Any:
    """Check a hand-written NumPy network on one sample batch, with your own functions.

    Args:
        params: your live weights: a dict or list of arrays, or a function
            returning one (use a function when your update rebinds arrays,
            e.g. ``params=lambda: {"W1": net.W1, "b1": net.b1}``).
        x, y: a sample batch in your own layout (samples along rows or
            columns: detected and stated in the report). Keep it small: the
            checks call your functions a few hundred times. With class labels
            and at least 64 samples, the shuffled-labels control also runs
            (labels-misaligned): 8 short trainings of up to 1000 of your steps.
        forward: ``forward(x) -> output`` (probabilities or scores).
        loss: ``loss(output, y) -> float``, the loss your gradients are of.
        gradients: ``gradients(x, y) -> {name: array}`` (or a list in the
            order of params): your backward pass.
        step: ``step(x, y)``: one training step as your loop does it.
        predict: ``predict(x)``: your evaluation path, as your accuracy uses it.
        overfit_steps, overfit_seconds: budget of the tiny-batch overfit trial.
        trial_seconds: budget of each fix trial (default: ``nndoctor run
            --trial-seconds``, else 10 s); fix trials need ``step`` and ``forward``.
        show: print the report; by default when not under ``nndoctor run``
            (which prints one report for the whole run at the end).

    Every weight the checks change is written back before `check` returns.

    Example:
        >>> import nndoctor.numpy as nnd
        >>> report = nnd.check(params, x[:32], y[:32], forward=fwd, loss=cost,
        ...                    gradients=backprop, step=train_step, predict=predict)
    """
    from nndoctor.probes.adapters import NumpyAdapter

    with _probe.checking():
        checked = _probe.run_checks(
            params,
            x,
            y,
            forward=forward,
            loss=loss,
            gradients=gradients,
            step=step,
            predict=predict,
            overfit_steps=overfit_steps,
            overfit_seconds=overfit_seconds,
            trial_seconds=trial_seconds,
        )
        # The fix trials run now, on the weights checked: the engine of `nndoctor run`
        # sees only their events, as it sees the checks' (the run's adapter is not ours).
        session = _session.Session("numpy")
        for event in checked.events:
            session.emit(event)
        if checked.net is not None:
            session.attach(NumpyAdapter(checked.net))
        with np.errstate(all="ignore"):
            engine.investigate(session, checked.trial_seconds)
    seconds = round(time.monotonic() - checked.started, 3)
    session.events[0] = RunInfo("numpy", None, None, seconds, False)
    if checked.outer is not None:
        for event in session.events[1:]:
            checked.outer.emit(event)
    report = engine.report(session, trials=False)
    if show or (show is None and checked.outer is None):
        report.show()
    return report


class Monitor(_probe.Monitor):
    __doc__ = _probe.Monitor.__doc__

    def report(self, show: bool = False) -> Any:
        """The diagnosis of what was recorded so far. Returns it and prints nothing.

        `print(report)` or `report.show()` prints it in a terminal; a notebook
        renders it. `show=True` is kept for older code: it calls `report.show()`.
        """
        report = engine.report(self._session, trials=False)
        if show:
            report.show()
        return report
