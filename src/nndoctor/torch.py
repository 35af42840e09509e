"""Diagnose a PyTorch training loop you own: `with nndoctor.torch.watch(model, optimizer):`.

For unmodified scripts use `nndoctor run train.py` instead: the same probe,
installed for you.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nndoctor import session as _session
from nndoctor.errors import UsageError


class Watch:
    """The handle `watch` yields: `.report()` diagnoses what was seen so far."""

    def __init__(self, session: _session.Session, own: bool = True) -> None:
        self.session = session
        self.own = own  # False under `nndoctor run`: its engine runs the trials at the end

    def report(self, trials: bool = True, trial_seconds: float = 15.0) -> Any:
        """The diagnosis of what was seen so far. Returns it and prints nothing.

        With `trials`, the experiments (tiny batch, learning-rate range, input
        dependence) and the fix trials of the causes found (at most 4,
        `trial_seconds` each) run first on copies, once per `watch` block, as
        `nndoctor run` does.
        """
        from nndoctor import engine

        if trials and not trial_seconds > 0:
            raise UsageError(
                f"trial_seconds must be a positive number of seconds; got {trial_seconds!r}. "
                "Use report(trials=False) to skip the trials."
            )
        return engine.report(self.session, trials and self.own, trial_seconds)


@contextmanager
def watch(
    model: Any, optimizer: Any = None, loss_fn: Any = None, *, out: str | Path | None = None
) -> Iterator[Watch]:
    """Watch `model` (and `optimizer`) while the block trains; diagnose with `.report()`.

    Args:
        model: the `torch.nn.Module` being trained.
        optimizer: its optimizer; by default any optimizer that steps is watched.
        loss_fn: the loss module, if any (loss modules and `torch.nn.functional`
            losses are seen anyway; this only checks it is a module or callable).
        out: a run folder to stream `trace.jsonl` into (optional).

    Example:
        >>> with nndoctor.torch.watch(model, optimizer) as doctor:
        ...     for x, y in loader:
        ...         optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
        >>> doctor.report()          # renders in a notebook; print() in a terminal

    Hooks are removed when the block ends, also when it raises.
    """
    import torch

    from nndoctor.probes.torch import TorchProbe

    if not isinstance(model, torch.nn.Module):
        raise UsageError(
            f"watch() needs the torch.nn.Module you train; got "
            f"{type(model).__name__}. Example: watch(model, optimizer)"
        )
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise UsageError(
            f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}."
        )
    if loss_fn is not None and not callable(loss_fn):
        raise UsageError(
            f"loss_fn must be a loss module or function; got {type(loss_fn).__name__}."
        )
    from nndoctor.probes.adapters import TorchAdapter

    outer = _session.current()
    if outer is not None and "torch" in outer.adapters:
        yield Watch(outer, own=False)  # under `nndoctor run`: the global probe already watches
        return
    session = outer or _session.Session("torch", Path(out) if out else None)
    session.framework = "torch"
    probe = TorchProbe(session, model, optimizer).install()
    session.attach(TorchAdapter(probe))
    try:
        yield Watch(session, own=outer is None)
    finally:
        probe.remove()
        if outer is None:
            session.close()
