"""Diagnose a network written by hand in NumPy: `check(...)` and `Monitor`.

Example:
    >>> import nndoctor.numpy as nnd
    >>> nnd.check(params, x, y, forward=forward, loss=loss,
    ...           gradients=backward, step=train_step, predict=predict)
"""

from nndoctor.probes.numpy import Monitor, check

__all__ = ["Monitor", "check"]
