"""What the Lightning and Hugging Face callbacks share: a `watch()` opened at the
start of training and closed at its end, and the report of what it saw."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.observations import InternalError


class Watching:
    """`nndoctor.torch.watch` held open across a trainer's callbacks."""

    def __init__(self, where: str, out: str | Path | None) -> None:
        self.where, self.out = where, Path(out) if out is not None else None
        self.rank = 0
        self._stack: contextlib.ExitStack | None = None
        self._doctor: Any = None

    def start(self, model: Any, optimizers: list[Any], rank: int) -> None:
        """Watch `model` on rank 0; the other ranks train untouched."""
        from nndoctor.torch import watch

        self.rank = rank
        if rank != 0 or self._stack is not None:
            return
        # One optimizer is the training's; with several (a GAN) the probe watches
        # every optimizer that steps.
        optimizer = optimizers[0] if len(optimizers) == 1 else None
        stack = contextlib.ExitStack()
        try:
            self._doctor = stack.enter_context(watch(model, optimizer, out=self.out))
            self._stack = stack
        except Exception as error:  # noqa: BLE001 - never break the user's training
            stack.close()
            self._failed(error)

    def close(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            try:
                stack.close()
            except Exception as error:  # noqa: BLE001 - never break the user's training
                self._failed(error)

    def report(self, trials: bool, trial_seconds: float) -> Any:
        if self.rank != 0:
            raise UsageError("report() is rank 0's: call it on the process of global rank 0.")
        if self._doctor is None:
            raise UsageError(
                f"report() needs a finished training with this callback given to the "
                f"{self.where} (callbacks=[...])."
            )
        return self._doctor.report(trials=trials, trial_seconds=trial_seconds)

    def _failed(self, error: Exception) -> None:
        session = getattr(self._doctor, "session", None)
        if session is not None:
            note = InternalError(f"{self.where}.callback", f"{type(error).__name__}: {error}")
            session.emit(note)


def torch_optimizer(optimizer: Any) -> Any:
    """The torch optimizer inside a trainer's wrapper (accelerate's), or None."""
    import torch

    while isinstance(getattr(optimizer, "optimizer", None), torch.optim.Optimizer):
        optimizer = optimizer.optimizer
    return optimizer if isinstance(optimizer, torch.optim.Optimizer) else None
