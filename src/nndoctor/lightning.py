"""Diagnose a Lightning `Trainer`: `Trainer(callbacks=[nndoctor.lightning.DiagnosisCallback()])`.

The callback watches the LightningModule and its optimizer with the PyTorch
probe from the start of `fit` to its end; `doctor.report()` then gives the
whole diagnosis, as `nndoctor.torch.watch()` does. Under `nndoctor run` the
command line's probe already watches and the callback only hands its report.
With several processes (DDP), rank 0 watches and reports; the other ranks
train untouched.

Example:
    >>> doctor = nndoctor.lightning.DiagnosisCallback()
    >>> L.Trainer(max_epochs=3, callbacks=[doctor]).fit(model, loader)
    >>> doctor.report()          # renders in a notebook; print() in a terminal
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nndoctor._watching import Watching, torch_optimizer

try:
    from lightning.pytorch import Callback
except ImportError:  # the package's older name
    try:
        from pytorch_lightning import Callback
    except ImportError as missing:
        raise ImportError("nndoctor.lightning needs Lightning: pip install lightning") from missing


class DiagnosisCallback(Callback):
    """Watch `trainer.fit`; `.report()` returns the diagnosis."""

    def __init__(self, *, out: str | Path | None = None) -> None:
        super().__init__()
        self._watching = Watching("Lightning Trainer", out)

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        optimizers = [torch_optimizer(o) for o in getattr(trainer, "optimizers", None) or []]
        rank = getattr(trainer, "global_rank", 0)
        self._watching.start(pl_module, [o for o in optimizers if o is not None], rank)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._watching.close()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._watching.close()

    def report(self, trials: bool = True, trial_seconds: float = 15.0) -> Any:
        """The diagnosis of the watched `fit`, fix trials included. Returns it, prints nothing."""
        return self._watching.report(trials, trial_seconds)
