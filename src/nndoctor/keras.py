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

from nndoctor.probes.keras import DiagnosisCallback

__all__ = ["DiagnosisCallback"]
