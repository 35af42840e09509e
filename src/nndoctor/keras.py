"""Diagnose Keras 3 training in one line: `model.fit(..., callbacks=[DiagnosisCallback()])`.

For unmodified scripts use `nndoctor run train.py` instead: the same callback,
added to every `fit` for you. Importing this module imports keras.

Example:
    >>> from nndoctor.keras import DiagnosisCallback
    >>> doctor = DiagnosisCallback()
    >>> model.fit(x_train, y_train, epochs=5, callbacks=[doctor])
    >>> doctor.report()          # renders in a notebook; print() in a terminal
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nndoctor import engine
from nndoctor import session as _session
from nndoctor.errors import UsageError
from nndoctor.probes import keras as _probe

__all__ = ["DiagnosisCallback"]


class DiagnosisCallback(_probe.DiagnosisCallback):
    """Diagnoses the training it watches: `model.fit(..., callbacks=[DiagnosisCallback()])`.

    Reads the compiled model (layers, output activation, loss and `from_logits`,
    optimizer and learning rate), `fit`'s batch size and a sample of the
    training data before the first step; records the loss and accuracy of every
    step; on sampled steps measures per-layer gradient norms, dead and saturated
    units, predicted classes and the update/weight ratio. Nothing it does
    changes the training. `report()` then runs the experiments and fix trials
    on clones of the model, as `nndoctor run` does.

    Args:
        sample: optional `(x, y)`, a few rows of the training data. By default the
            arrays given to `fit` are read; pass this when `fit` gets a tf.data
            pipeline or a generator, which nndoctor does not iterate.
        out: optional run folder to stream `trace.jsonl` into.

    Example:
        >>> doctor = DiagnosisCallback()
        >>> model.fit(x, y, epochs=5, callbacks=[doctor])
        >>> doctor.report()       # renders in a notebook; print() in a terminal

    Under `nndoctor run` it joins that run's diagnosis (and the run's trials).
    """

    def __init__(self, *, sample: tuple[Any, Any] | None = None, out: str | Path | None = None):
        super().__init__(sample=sample, out=out)
        self.own = _session.current() is None  # under `nndoctor run`, its engine tries fixes
        if self.own:
            from nndoctor.probes.adapters import KerasAdapter

            self.session.attach(KerasAdapter.of_callback(self))

    def report(self, trials: bool = True, trial_seconds: float = 15.0) -> Any:
        """The diagnosis of what was seen so far. Returns it and prints nothing.

        With `trials`, the experiments (tiny batch, learning-rate range, input
        dependence) and the fix trials of the causes found (at most 4,
        `trial_seconds` each) first run on clones of the model, once per
        callback, as `nndoctor run` does. A notebook renders the report;
        `print(report)` or `report.show()` prints it in a terminal.
        """
        if trials and not trial_seconds > 0:
            raise UsageError(
                f"trial_seconds must be a positive number of seconds; got {trial_seconds!r}. "
                "Use report(trials=False) to skip the trials."
            )
        self._flush()
        return engine.report(self.session, trials and self.own, trial_seconds)
