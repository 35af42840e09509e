"""Fix trials for hand-written NumPy networks: the user's own step, fixed, on the checked batch.

Two runs start from the user's weights: the user's `step` as it is, and the
same step with the fix applied (a scaled update, one-hot labels, standardised
inputs, fresh initial weights, the update that never ran, the
finite-difference gradient). Both train on the batch given to `check` and are
measured on it with one yardstick: the cross-entropy of the true class for a
classifier, the user's loss otherwise. `check` sees no other data, and the
symptom these faults give (the loss does not fall) shows on the trained batch
as well as on any. Every weight is written back after each run.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from nndoctor import verdict
from nndoctor.observations import FixTrial, LabelControl
from nndoctor.probes.numpy import (
    Net,
    _call,
    _param_dict,
    _samples_first,
    _Snapshot,
    _take,
    match_gradients,
    predicted_classes,
    task_loss,
)
from nndoctor.rules import labels_misaligned

MAX_STEPS = 200  # issue 8: a trial runs <= 200 steps or its time budget, whichever first
MIN_STEPS = 20  # fewer steps than this would not show a falling loss: the trial is skipped
LR_FACTORS = {"lr-too-high": (0.1, 0.01), "lr-too-low": (10.0, 100.0, 1000.0)}
# The update that never ran needs a rate the user's code never applied: plain
# SGD at the rates a first course suggests (CS231n: 1e-2 .. 1 for small nets).
SGD_RATES = (1.0, 0.1, 0.01)
FD_STEP = 1e-5  # central differences, as the gradient check (CS231n)
FD_SECONDS = 6.0  # all finite-difference runs of one trial together (two forwards per entry)
# Issue 16, the shuffled-labels control: 4 folds of the checked batch (train on 3/4,
# score on the 1/4 left), so every row is held once and the held rows add up to the
# batch; up to as many steps as the PyTorch control (torch_trials.CONTROL_STEPS).
FOLDS = 4
CONTROL_STEPS = 1000
LABEL_SHARE = 0.4  # of the trial budget, as the PyTorch and Keras controls take


@dataclass(frozen=True)
class Fix:
    """One way to apply a fix: weights set before training, the step, the inputs measured."""

    name: str
    step: Callable[[], None]
    x: np.ndarray
    prepare: Callable[[], None] | None = None
    max_steps: int = MAX_STEPS  # fewer when each step is costly (finite differences)


def trial(net: Net, cause: str, seconds: float) -> FixTrial | None:
    """Train the user's step and the fixed step side by side; None when no fix applies."""
    fixes = FIXES[cause](net)
    measure = _yardstick(net)
    if not fixes or measure is None:
        return None
    started = time.monotonic()
    share = seconds / (len(fixes) + 1)
    user = Fix("as written", lambda: _call("step", net.step, net.x, net.y), net.x)
    with contextlib.redirect_stdout(io.StringIO()):  # the user's prints, from our copies: hidden
        limit = min(fix.max_steps for fix in fixes)
        before, steps = _train(net, user, measure, share, limit)
        if steps < MIN_STEPS:
            return None
        best: tuple[float, str] | None = None
        for fix in fixes:
            try:
                value, _ = _train(net, fix, measure, math.inf, steps)
            except Exception:  # noqa: BLE001 - the user's code may not take the fix (say, one-hot labels)
                continue
            if best is None or verdict.better(value, best[0], "loss"):
                best = (value, fix.name)
    if best is None:
        return None
    after, name = best
    return FixTrial(
        cause,
        name,
        "loss",
        steps,
        round(time.monotonic() - started, 3),
        before,
        after,
        verdict.fixed("loss", before, after, net.n),
    )


def _train(
    net: Net, fix: Fix, measure: Callable[[np.ndarray], float], seconds: float, steps: int
) -> tuple[float, int]:
    snapshot = _Snapshot(net.params)
    started, done = time.monotonic(), 0
    try:
        if fix.prepare is not None:
            fix.prepare()
        while done < steps and time.monotonic() - started < seconds:
            fix.step()
            done += 1
        return measure(fix.x), done
    finally:
        snapshot.restore()


def _yardstick(net: Net) -> Callable[[np.ndarray], float] | None:
    """Cross-entropy of the true class for class labels; the user's loss for other targets."""
    if _class_ids(net.y, net.n) is not None:
        return lambda x: task_loss(net.output(x), net.y, net.n)
    if net.loss is None:
        return None
    loss = net.loss
    return lambda x: float(_call("loss", loss, net.output(x), net.y))


def _class_ids(y: np.ndarray, n: int) -> np.ndarray | None:
    rows = _samples_first(np.asarray(y, dtype=np.float64), n)
    if rows.shape[1] > 1:
        one_hot = np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(axis=1) == 1)
        return rows.argmax(axis=1) if one_hot else None
    ids = rows[:, 0]
    return ids.astype(np.int64) if np.all(ids == np.round(ids)) and ids.min() >= 0 else None


# ---------------------------------------------------------------- the fixes


def _scaled_update(net: Net, factor: float) -> Callable[[], None]:
    """The user's step with its change of every weight multiplied by `factor`:
    the same as that learning rate times `factor` for (momentum-free) SGD."""

    def step() -> None:
        old = {k: v.copy() for k, v in _param_dict(net.params).items()}
        _call("step", net.step, net.x, net.y)
        for name, value in _param_dict(net.params).items():
            if name in old and value.shape == old[name].shape:
                value[...] = old[name] + factor * (value - old[name])

    return step


def _fix_lr(cause: str) -> Callable[[Net], list[Fix]]:
    def fixes(net: Net) -> list[Fix]:
        factors = set(LR_FACTORS[cause])
        aimed = _aimed_factor(net)
        if aimed is not None and (aimed > 1) == (cause == "lr-too-low"):
            factors |= {float(f"{aimed:.1g}"), float(f"{aimed / 10:.1g}")}
        return [
            Fix(f"learning rate x{f:g}", _scaled_update(net, f), net.x) for f in sorted(factors)
        ]

    return fixes


def _aimed_factor(net: Net) -> float | None:
    """The factor that brings one step's update to ~1e-3 of the weights' size."""
    snapshot = _Snapshot(net.params)
    try:
        _call("step", net.step, net.x, net.y)
        _, _, ratios = snapshot.changed()
    finally:
        snapshot.restore()
    matrices = [ratios[w.name] for w in net.init if ratios.get(w.name, 0) > 0]  # not biases
    if not matrices or not all(math.isfinite(r) for r in matrices):
        return None
    return verdict.TYPICAL_UPDATE_RATIO / float(np.median(matrices))


def _sgd(net: Net, rate: float, gradient: Callable[[], Mapping[str, np.ndarray]]) -> Fix:
    def step() -> None:
        grads = gradient()
        for name, value in _param_dict(net.params).items():
            g = grads.get(name)
            if g is not None and g.shape == value.shape:
                value -= rate * g

    return Fix(f"plain SGD at rate {rate:g}", step, net.x)


def _user_gradients(net: Net) -> Mapping[str, np.ndarray]:
    assert net.gradients is not None
    raw = _call("gradients", net.gradients, net.x, net.y)
    matched, _, _ = match_gradients(_param_dict(net.params), raw)
    return matched


def _fix_update(net: Net) -> list[Fix]:
    """Run the update that never ran: each weight minus rate x its gradient."""
    if net.gradients is None:
        return []
    fixes = [_sgd(net, rate, lambda: _user_gradients(net)) for rate in SGD_RATES]
    return [Fix(f"apply the update: W -= lr * dW ({f.name})", f.step, f.x) for f in fixes]


def _fd_gradients(net: Net) -> dict[str, np.ndarray]:
    """Central differences of the user's loss at every weight entry."""
    assert net.loss is not None
    loss = net.loss
    grads = {}
    for name, value in _param_dict(net.params).items():
        g = np.zeros_like(value, dtype=np.float64)
        flat, out = value.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + FD_STEP
            up = float(_call("loss", loss, net.output(net.x), net.y))
            flat[i] = saved - FD_STEP
            down = float(_call("loss", loss, net.output(net.x), net.y))
            flat[i] = saved
            out[i] = (up - down) / (2 * FD_STEP)
        grads[name] = g
    return grads


def _fix_gradient(net: Net) -> list[Fix]:
    """Train with the finite-difference gradient of the user's loss instead of theirs,
    when that fits the budget (two forward passes per weight entry per step)."""
    if net.loss is None:
        return []
    entries = sum(v.size for v in _param_dict(net.params).values())
    started = time.monotonic()
    net.output(net.x)
    forward_seconds = time.monotonic() - started
    rate = _user_rate(net)
    rates = (rate,) if rate is not None else SGD_RATES
    steps = int(FD_SECONDS / len(rates) / max(2 * entries * forward_seconds, 1e-9))
    if steps < MIN_STEPS:
        return []  # too many weights for finite differences within the budget
    fixes = [_sgd(net, r, lambda: _fd_gradients(net)) for r in rates]
    return [
        Fix(f"use the finite-difference gradient ({f.name})", f.step, f.x, max_steps=steps)
        for f in fixes
    ]


def _user_rate(net: Net) -> float | None:
    """The user's learning rate, read off one step: |change| / |their gradient|."""
    if net.gradients is None:
        return None
    grads = _user_gradients(net)
    snapshot = _Snapshot(net.params)
    try:
        _call("step", net.step, net.x, net.y)
        live = _param_dict(net.params)
        moved = sum(float(np.sum((live[k] - snapshot.saved[k]) ** 2)) for k in grads if k in live)
    finally:
        snapshot.restore()
    norm = sum(float(np.sum(g**2)) for g in grads.values())
    if moved == 0 or norm == 0 or not math.isfinite(moved / norm):
        return None
    return math.sqrt(moved / norm)


def _fix_labels(net: Net) -> list[Fix]:
    """One-hot labels, as wide as the output, in the user's layout."""
    ids = _class_ids(net.y, net.n)
    out = _samples_first(net.output(net.x), net.n)
    if ids is None or out.shape[1] < 2 or ids.max() >= out.shape[1]:
        return []
    one_hot = np.eye(out.shape[1])[ids].astype(net.y.dtype if net.y.dtype.kind == "f" else float)
    y = one_hot if net.layout == "rows" else one_hot.T
    return [Fix("one-hot encode the labels", lambda: _call("step", net.step, net.x, y), net.x)]


def _fix_inputs(net: Net) -> list[Fix]:
    """Inputs standardised with their measured mean and std, feature by feature."""
    axis = 0 if net.layout == "rows" else -1
    mean = net.x.mean(axis=axis, keepdims=True)
    std = net.x.std(axis=axis, keepdims=True)
    x = ((net.x - mean) / np.where(std > 1e-8, std, 1.0)).astype(net.x.dtype)
    return [Fix("standardise the inputs", lambda: _call("step", net.step, x, net.y), x)]


def _fix_init(net: Net) -> list[Fix]:
    """Fresh weight matrices at the Glorot/LeCun and He scales (biases kept)."""
    if not net.init:
        return []

    def draw(gain: float) -> Callable[[], None]:
        def prepare() -> None:
            rng = np.random.default_rng(0)  # our own generator: the user's RNG is untouched
            live = _param_dict(net.params)
            for layer in net.init:
                w = live[layer.name]
                w[...] = rng.standard_normal(w.shape) * math.sqrt(gain / layer.fan_in)

        return prepare

    user = lambda: _call("step", net.step, net.x, net.y)  # noqa: E731
    return [
        Fix("re-initialise: std 1/sqrt(fan_in) (Glorot/LeCun)", user, net.x, draw(1.0)),
        Fix("re-initialise: std sqrt(2/fan_in) (He)", user, net.x, draw(2.0)),
    ]


FIXES: dict[str, Callable[[Net], list[Fix]]] = {
    "lr-too-high": _fix_lr("lr-too-high"),
    "lr-too-low": _fix_lr("lr-too-low"),
    "params-not-updated": _fix_update,
    "wrong-gradient": _fix_gradient,
    "labels-not-encoded": _fix_labels,
    "inputs-not-normalized": _fix_inputs,
    "bad-init": _fix_init,
}


# ---------------------------------------------------------------- the label control


def label_control(net: Net, seconds: float) -> LabelControl | None:
    """The user's step on 3/4 of the checked batch, with real and with shuffled labels,
    scored on the 1/4 left, over 4 folds; None unless the labels are 2+ classes."""
    ids = _class_ids(net.y, net.n)
    if ids is None or np.unique(ids).size < 2 or net.n < labels_misaligned.MIN_HELD_ROWS:
        return None  # every row is held once: a smaller batch could not decide
    rows = np.arange(net.n)
    steps: int | None = None
    counts = {"real_train": 0, "real_held": 0, "shuffled_train": 0, "shuffled_held": 0}
    with contextlib.redirect_stdout(io.StringIO()):  # the user's prints, from our copies: hidden
        for fold in range(FOLDS):
            train, held = rows[rows % FOLDS != fold], rows[rows % FOLDS == fold]
            order = np.random.default_rng(fold).permutation(len(train))
            for name, labels in (("real", train), ("shuffled", train[order])):
                budget = seconds / (2 * FOLDS) if steps is None else math.inf
                hits, steps = _fit_fold(net, train, labels, held, ids, budget, steps)
                counts[f"{name}_train"] += hits[0]
                counts[f"{name}_held"] += hits[1]
    assert steps is not None
    trained = (FOLDS - 1) * net.n  # every row trains in all folds but its own
    return LabelControl(
        steps,
        counts["real_train"] / trained,
        counts["real_held"] / net.n,
        counts["shuffled_held"] / net.n,
        verdict.constant_guess(np.bincount(ids).tolist()),
        net.n,
        trained,
        counts["shuffled_train"] / trained,
        verdict.constant_guess(np.bincount(ids).tolist()),
    )


def _fit_fold(
    net: Net,
    train: np.ndarray,
    labels: np.ndarray,
    held: np.ndarray,
    ids: np.ndarray,
    seconds: float,
    steps: int | None,
) -> tuple[tuple[int, int], int]:
    """Rows `train` with the labels of rows `labels`: correct predictions on the training
    rows (against those labels) and on `held`, and the steps made."""
    x = _take(net.x, train, net.n, net.layout)
    y = _take(net.y, labels, net.n, net.layout)
    snapshot = _Snapshot(net.params)
    limit = steps if steps is not None else CONTROL_STEPS
    started, done = time.monotonic(), 0
    try:
        while done < limit and (steps is not None or time.monotonic() - started < seconds):
            _call("step", net.step, x, y)
            done += 1
        fitted = predicted_classes(net.output(x), len(train)) == ids[labels]
        held_x = _take(net.x, held, net.n, net.layout)
        right = predicted_classes(net.output(held_x), len(held)) == ids[held]
        return (int(fitted.sum()), int(right.sum())), done
    finally:
        snapshot.restore()
