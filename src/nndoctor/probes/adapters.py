"""The engine's adapters: each offers a trainable copy of one framework's training.

An adapter wraps what a probe saw (model, optimizer, loss, cached batches,
first weights) and the framework's trial module; the engine (`nndoctor.engine`)
decides what to try and when. Framework imports stay lazy: building an adapter
imports its trial module, which imports the framework the user already runs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from nndoctor.observations import Observations


class TorchAdapter:
    """Copies of the model a `TorchProbe` watched (global under `nndoctor run`, or `watch()`)."""

    framework = "torch"

    def __init__(self, probe: Any) -> None:
        self.probe = probe

    @property
    def _trials(self) -> Any:
        # Imported when the engine asks, not when the script imports torch: the rules
        # it imports would delay the user's first step.
        from nndoctor.probes import torch_trials

        return torch_trials

    @property
    def fixable(self) -> Collection[str]:
        return frozenset(self._trials.FIXES)

    @property
    def skipped(self) -> str | None:
        return self.probe.trials_skipped

    def experiments(self, obs: Observations, seconds: float) -> list[Any]:
        return self._trials.experiments(self.probe, obs, seconds)

    def trial(
        self, obs: Observations, cause: str, seconds: float, found: Sequence[str]
    ) -> list[Any]:
        return self._trials.run(self.probe, obs, [cause], seconds)


class KerasAdapter:
    """Clones of the Keras model a `KerasProbe` or a lone `DiagnosisCallback` watched."""

    framework = "keras"

    def __init__(self, probe: Any) -> None:
        self.probe = probe

    @property
    def _trials(self) -> Any:
        from nndoctor.probes import keras_trials  # when the engine asks, as for torch

        return keras_trials

    @property
    def fixable(self) -> Collection[str]:
        return frozenset(self._trials.FIXES)

    skipped = None  # keras_trials says itself when a model cannot be cloned

    @classmethod
    def of_callback(cls, callback: Any) -> KerasAdapter:
        """The adapter of a `DiagnosisCallback` given to `fit` by hand (no KerasProbe)."""
        return cls(_OneCallback(callback))

    def experiments(self, obs: Observations, seconds: float) -> list[Any]:
        return self._trials.experiments(self.probe, obs, seconds)

    def trial(
        self, obs: Observations, cause: str, seconds: float, found: Sequence[str]
    ) -> list[Any]:
        # Keras pairs a fix that fails alone with another found cause's fix (marginal trial).
        return self._trials.run(self.probe, obs, [cause], seconds, found=found)


class _OneCallback:
    """What keras_trials reads of a KerasProbe (`callbacks`, `paused`), for one callback."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback
        self.paused = False  # no patch to pause: the clones get no DiagnosisCallback

    @property
    def callbacks(self) -> Mapping[Any, Any]:
        model = getattr(self.callback, "_model", None)
        return {} if model is None else {model: self.callback}


class NumpyAdapter:
    """Fix trials on a hand-written NumPy network, through the user's own functions.

    The tiny-batch overfit runs inside the checks (it needs the weights `check`
    rescales); the engine's experiment is the shuffled-labels control.
    """

    framework = "numpy"
    skipped = None

    def __init__(self, net: Any) -> None:
        from nndoctor.probes import numpy_trials

        self.net, self._trials = net, numpy_trials
        self.fixable: Collection[str] = frozenset(numpy_trials.FIXES)

    def experiments(self, obs: Observations, seconds: float) -> list[Any]:
        control = self._trials.label_control(self.net, seconds * self._trials.LABEL_SHARE)
        return [] if control is None else [control]

    def trial(
        self, obs: Observations, cause: str, seconds: float, found: Sequence[str]
    ) -> list[Any]:
        event = self._trials.trial(self.net, cause, seconds)
        return [] if event is None else [event]
