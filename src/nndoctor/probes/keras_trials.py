"""Fix trials for Keras 3: try the suggested fix on a clone and keep the numbers.

The Keras counterpart of `torch_trials`. For each cause with a mechanical fix,
two clones of the model the probe watched (`keras.models.clone_model`, set to
the weights it had when the first `fit` began, else to one fresh
initialisation shared by both) train side by side with `fit` on the sample of
the training arrays the probe read: one compiled as the user compiled the
model (loss, optimizer class and its configuration), one with the fix. Some
rows of the sample are held out, and both clones are measured on them. The
fix is `validated` when the fixed clone is clearly better. The user's model,
optimizer and the global RNGs are never touched, and the probe's patches are
paused so the clones leave no trace in the run.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import keras
import numpy as np

from nndoctor import verdict
from nndoctor.observations import FixTrial, InternalError, Observations
from nndoctor.probes.keras import (
    DiagnosisCallback,
    KerasProbe,
    _activation,
    _rng_kept,
    describe_loss,
    output_layer,
)

MAX_STEPS = 200  # issue 8: a trial runs <= 200 steps or its time budget, whichever first
HELD_EVERY = 4  # every 4th row of the sample is held out to measure both clones
LR_FACTORS = {"lr-too-high": (0.1, 0.01), "lr-too-low": (10.0, 100.0, 1000.0)}
LOSS_CLASSES = {
    ("cross_entropy", "one-hot"): keras.losses.CategoricalCrossentropy,
    ("cross_entropy", "ids"): keras.losses.SparseCategoricalCrossentropy,
    ("bce", None): keras.losses.BinaryCrossentropy,
    ("bce_logits", None): keras.losses.BinaryCrossentropy,
}


@dataclass(frozen=True)
class Setup:
    """How one clone trains: the user's configuration or a fixed one."""

    activation: str | None = None  # a new activation for the output layer
    from_logits: bool | None = None  # the loss rebuilt with this from_logits
    lr_factor: float = 1.0
    standardise: bool = False
    threshold: float = 0.0  # one output unit: class 1 above this value


@dataclass(frozen=True)
class Watched:
    """What the probe saw of the user's training: model, first weights, sample, batch size."""

    model: Any
    weights: list[np.ndarray] | None
    x: np.ndarray
    y: np.ndarray
    batch_size: int


def watched(probe: KerasProbe) -> Watched | None:
    """The model the probe watched longest, if it is clonable and its sample can train it."""
    callbacks: list[tuple[Any, DiagnosisCallback]] = [
        (m, c) for m, c in probe.callbacks.items() if c._started and c._sample is not None
    ]
    if not callbacks:
        return None
    model, callback = max(callbacks, key=lambda mc: mc[1].steps)
    x, y = callback._sample  # type: ignore[misc]
    functional = type(model).__name__ == "Functional" or isinstance(model, keras.Sequential)
    if not functional or not isinstance(x, np.ndarray) or y is None:
        return None  # subclassed models do not clone; nested inputs are not standardised
    if getattr(model, "optimizer", None) is None or describe_loss(model.loss) is None:
        return None
    size = callback._batch_sizes[0] if callback._batch_sizes else 32
    return Watched(model, callback.initial_weights, x, y, int(size))


def experiments(probe: KerasProbe, obs: Observations, seconds: float) -> list[Any]:
    """The experiments run on copies after the script: events for the rules and the report."""
    return []


def run(probe: KerasProbe, obs: Observations, causes: list[str], seconds: float) -> list[Any]:
    """FixTrial (or InternalError) events for the causes that have a mechanical fix."""
    if not any(c in FIXES for c in causes):
        return []
    try:
        seen = watched(probe)
    except Exception as error:  # noqa: BLE001 - a failed trial is a note, not a crash
        return [InternalError("keras fix trials", f"{type(error).__name__}: {error}")]
    if seen is None:
        return []
    events: list[Any] = []
    probe.paused = True
    try:
        with _rng_kept(), _torch_rng_kept():
            for cause in [c for c in causes if c in FIXES]:
                try:
                    trial = _trial(seen, obs, cause, seconds)
                except Exception as error:  # noqa: BLE001 - a failed trial is a note, not a crash
                    events.append(
                        InternalError(f"fix trial {cause}", f"{type(error).__name__}: {error}")
                    )
                    continue
                if trial is not None:
                    events.append(trial)
    finally:
        probe.paused = False
    return events


@contextlib.contextmanager
def _torch_rng_kept() -> Iterator[None]:
    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    with torch.random.fork_rng(devices=[]):
        yield


def _trial(seen: Watched, obs: Observations, cause: str, seconds: float) -> FixTrial | None:
    rows = np.arange(len(seen.x))
    held_rows = rows[rows % HELD_EVERY == HELD_EVERY - 1]
    train_rows = rows[rows % HELD_EVERY != HELD_EVERY - 1]
    if len(held_rows) < 8:
        return None
    train = (seen.x[train_rows], seen.y[train_rows])
    held = (seen.x[held_rows], seen.y[held_rows])
    classes = _is_classes(seen.y)
    if classes and np.unique(_class_ids(train[1])).size < 2:
        return None  # the sample holds one class: no clone can learn from it
    squashed = obs.model is not None and obs.model.output_activation in ("sigmoid", "softmax")
    baseline = Setup(threshold=0.5 if squashed else 0.0)
    fixes = FIXES[cause](seen, obs, baseline)
    if not fixes:
        return None
    started = time.monotonic()
    start = _start_weights(seen)
    before_model, steps = _train(seen, start, baseline, train, seconds / (len(fixes) + 1), None)
    before = _measure(seen, baseline, before_model, train, held, classes)
    metric = "accuracy" if classes else "loss"
    best: tuple[float, str] | None = None
    for name, fixed in fixes:
        model, _ = _train(seen, start, fixed, train, math.inf, steps)
        value = _measure(seen, fixed, model, train, held, classes)
        if best is None or verdict.better(value, best[0], metric):
            best = (value, name)
    assert best is not None
    after, name = best
    validated = verdict.fixed(metric, before, after, len(held_rows))
    return FixTrial(
        cause,
        name,
        metric,
        steps,
        round(time.monotonic() - started, 3),
        before,
        after,
        validated,
    )


# ---------------------------------------------------------------- training a clone


def _clone(model: Any, activation: str | None = None) -> Any:
    """A clone of the model, its output layer's activation replaced if asked."""
    found = output_layer(model) if activation is not None else None
    last = found[0] if found else None

    def clone_layer(layer: Any) -> Any:
        config = layer.get_config()
        if layer is last:
            if _activation(layer) in ("softmax",) and "activation" not in config:
                return keras.layers.Activation(activation, name=layer.name)
            config["activation"] = activation
        return type(layer).from_config(config)

    random.seed(0)  # the clones' initialisers and dropout draw their seeds from here
    return keras.models.clone_model(model, clone_function=clone_layer)


def _start_weights(seen: Watched) -> list[np.ndarray]:
    if seen.weights is not None:
        return seen.weights
    return _clone(seen.model).get_weights()  # one fresh initialisation, shared by both clones


def _loss(seen: Watched, setup: Setup) -> Any:
    loss = seen.model.loss
    if setup.from_logits is not None:
        info = describe_loss(loss)
        assert info is not None
        kind = LOSS_CLASSES[(info.loss, info.label_format)]
        return kind(from_logits=setup.from_logits)
    if isinstance(loss, keras.losses.Loss):
        return type(loss).from_config(loss.get_config())
    return loss


def _optimizer(seen: Watched, setup: Setup) -> Any:
    user = seen.model.optimizer
    config = dict(user.get_config())
    if setup.lr_factor != 1.0:
        config["learning_rate"] = float(config["learning_rate"]) * setup.lr_factor
    return type(user).from_config(config)


def _inputs(seen: Watched, setup: Setup, train_x: np.ndarray, x: np.ndarray) -> np.ndarray:
    if not setup.standardise:
        return x
    reference = train_x.astype(np.float64)
    mean, std = reference.mean(axis=0), np.maximum(reference.std(axis=0), 1e-6)
    return ((x - mean) / std).astype(x.dtype if np.issubdtype(x.dtype, np.floating) else "float32")


class _Budget(keras.callbacks.Callback):
    """Stops the fit at `steps`, or after `seconds`; counts the steps done."""

    def __init__(self, steps: int, seconds: float) -> None:
        super().__init__()
        self.limit, self.seconds, self.done = steps, seconds, 0
        self.started = time.monotonic()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.done += 1
        if self.done >= self.limit or time.monotonic() - self.started > self.seconds:
            self.model.stop_training = True


def _train(
    seen: Watched,
    start: list[np.ndarray],
    setup: Setup,
    train: tuple[np.ndarray, np.ndarray],
    seconds: float,
    steps: int | None,
) -> tuple[Any, int]:
    model = _clone(seen.model, setup.activation)
    model.set_weights(start)
    model.compile(loss=_loss(seen, setup), optimizer=_optimizer(seen, setup))
    x = _inputs(seen, setup, train[0], train[0])
    limit = steps if steps is not None else MAX_STEPS
    batch = max(1, min(seen.batch_size, len(x)))
    per_epoch = math.ceil(len(x) / batch)
    budget = _Budget(limit, seconds)
    model.fit(
        x,
        train[1],
        batch_size=batch,
        epochs=math.ceil(limit / per_epoch),
        shuffle=False,
        verbose=0,
        callbacks=[budget],
    )
    return model, budget.done


def _measure(
    seen: Watched,
    setup: Setup,
    model: Any,
    train: tuple[np.ndarray, np.ndarray],
    held: tuple[np.ndarray, np.ndarray],
    classes: bool,
) -> float:
    x = _inputs(seen, setup, train[0], held[0])
    if not classes:
        return float(model.evaluate(x, held[1], verbose=0))
    out = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    rows = out.reshape(len(out), -1)
    if not np.all(np.isfinite(rows)):
        return float("nan")
    predicted = rows.argmax(axis=1) if rows.shape[1] > 1 else (rows[:, 0] > setup.threshold)
    truth = _class_ids(held[1])
    if predicted.shape != truth.shape:
        return float("nan")
    return float(np.mean(predicted.astype(np.int64) == truth))


def _is_classes(y: np.ndarray) -> bool:
    if not np.issubdtype(y.dtype, np.floating):
        return True
    return bool(np.all(y == np.round(y))) and float(np.max(y)) <= 1000


def _class_ids(y: np.ndarray) -> np.ndarray:
    rows = y.reshape(len(y), -1)
    if rows.shape[1] > 1:
        return rows.argmax(axis=1)
    return rows[:, 0].astype(np.int64)


# ---------------------------------------------------------------- the fixes


def _fix_missing_activation(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    info = describe_loss(seen.model.loss)
    if info is None or (info.loss, info.label_format) not in LOSS_CLASSES:
        return []
    return [("compile the loss with from_logits=True", replace(user, from_logits=True))]


def _fix_double_softmax(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    info = describe_loss(seen.model.loss)
    if info is None or (info.loss, info.label_format) not in LOSS_CLASSES:
        return []
    fixed = replace(user, from_logits=False, threshold=0.5)
    return [("compile the loss with from_logits=False", fixed)]


def _fix_single_unit(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    found = output_layer(seen.model)
    if found is None or found[1] != "softmax":
        return []
    layer = found[0]
    if "activation" not in layer.get_config() and type(layer).__name__ != "Softmax":
        return []
    fixed = replace(user, activation="sigmoid", threshold=0.5)
    return [("replace the softmax by a sigmoid", fixed)]


def _fix_inputs(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    if not np.issubdtype(seen.x.dtype, np.number):
        return []
    return [
        ("standardise the inputs with their measured mean and std", replace(user, standardise=True))
    ]


def _fix_lr(cause: str) -> Callable[..., list[Any]]:
    def fix(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
        rate = seen.model.optimizer.get_config().get("learning_rate")
        if not isinstance(rate, (int, float)):
            return []  # a schedule: scaling it is not mechanical
        return [(f"learning rate x{f:g}", replace(user, lr_factor=f)) for f in LR_FACTORS[cause]]

    return fix


FIXES: dict[str, Callable[[Watched, Observations, Setup], list[Any]]] = {
    "missing-output-activation": _fix_missing_activation,
    "double-softmax": _fix_double_softmax,
    "softmax-single-unit": _fix_single_unit,
    "inputs-not-normalized": _fix_inputs,
    "lr-too-high": _fix_lr("lr-too-high"),
    "lr-too-low": _fix_lr("lr-too-low"),
}
