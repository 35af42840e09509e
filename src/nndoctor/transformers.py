"""Diagnose a Hugging Face `Trainer`: `callbacks=[nndoctor.transformers.DiagnosisCallback()]`.

The callback watches the model and its optimizer with the PyTorch probe from
`on_train_begin` to `on_train_end` (the loss the model computes inside its
`forward` is seen like any other); `doctor.report()` then gives the whole
diagnosis, as `nndoctor.torch.watch()` does. Under `nndoctor run` the command
line's probe already watches and the callback only hands its report. With
several processes, the process of rank 0 watches and reports.

Example:
    >>> doctor = nndoctor.transformers.DiagnosisCallback()
    >>> Trainer(model=model, args=args, train_dataset=data, callbacks=[doctor]).train()
    >>> doctor.report()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nndoctor._watching import Watching, torch_optimizer

try:
    from transformers import TrainerCallback
except ImportError as missing:
    raise ImportError(
        "nndoctor.transformers needs Hugging Face transformers: pip install transformers"
    ) from missing


class DiagnosisCallback(TrainerCallback):
    """Watch `trainer.train()`; `.report()` returns the diagnosis."""

    def __init__(self, *, out: str | Path | None = None) -> None:
        self._watching = Watching("Hugging Face Trainer", out)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model, optimizer = kwargs.get("model"), torch_optimizer(kwargs.get("optimizer"))
        rank = getattr(args, "process_index", 0)
        if model is not None:
            self._watching.start(model, [optimizer] if optimizer is not None else [], rank)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._watching.close()

    def report(self, trials: bool = True, trial_seconds: float = 15.0) -> Any:
        """The diagnosis of the watched training, fix trials included; prints nothing."""
        return self._watching.report(trials, trial_seconds)
