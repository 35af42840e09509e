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

Fixes that change the architecture (a K-unit softmax head for a regression on
class ids, ReLU + He for a deep sigmoid stack, LeakyReLU or He for dead ReLUs)
keep the start weights of every layer they do not rebuild. When the user's own
`fit` raised (labels the loss cannot read), the unfixed clone stays at the start
weights, as the user's model did. `experiments` runs before the trials: a tiny
batch overfit, a short LR range probe and the trained model on real and blanked
inputs.

A classifier's clones are also measured by their held cross-entropy (the mean
-log p of the true class, p read from the output as a correctly configured loss
reads it). When the held rows are too few for an accuracy gain to clear the
margin, a cross-entropy at most LOSS_RATIO of the unfixed one's, with accuracy
not lower, also counts as clearly better. A fix that does not help alone is
tried on top of another found cause's fix (a marginal trial): two faults that
each stop training (raw pixels and a missing softmax) hide each other's fix.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import keras
import numpy as np

from nndoctor import verdict
from nndoctor.observations import (
    FixTrial,
    InputDependence,
    InternalError,
    LabelControl,
    LRProbe,
    Observations,
    OverfitTrial,
)
from nndoctor.probes import attempt
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
TINY_ROWS = 16  # issue 8: the tiny batch has 16 examples
TINY_SHARE = 1 / 3  # of the seconds budget: tiny batch, LR probe, the rest for input dependence
PROBE_STEPS = 25  # issue 8: ~20-30 steps per learning-rate factor
PROBE_FACTORS = (0.01, 0.1, 1.0, 10.0, 100.0)  # issue 8: two decades either side of the user's
# Issue 16: the shuffled-labels control gets 0.4x the experiments' budget on top of
# them (the share PyTorch gives it, torch_trials.SHARE_LABELS), and up to as many
# steps (torch_trials.CONTROL_STEPS: random labels are memorised slowly).
LABEL_SHARE = 0.4
CONTROL_STEPS = 1000
# Keras's own clip of probabilities in its cross-entropies (keras.config.epsilon()): a
# true class given p = 0 costs -log(1e-7) = 16.1, not inf.
EPSILON = 1e-7
# A FixTrial metric: the held mean -log p(true class); lower is better.
CROSS_ENTROPY = "cross-entropy"
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
    rounded: int = 0  # one output unit regressing K class ids: the id is round(output), K here
    loss_class: str | None = None  # a keras.losses class replacing the user's loss
    head_units: int | None = None  # the output layer rebuilt with this many units
    hidden: str | None = None  # a new activation for the hidden layers that have `hidden_from`
    hidden_from: tuple[str, ...] = ()
    he_init: bool = False  # the changed hidden layers start from fresh He weights, zero biases


@dataclass(frozen=True)
class Watched:
    """What the probe saw of the user's training: model, first weights, sample, batch size."""

    model: Any
    weights: list[np.ndarray] | None
    x: np.ndarray
    y: np.ndarray
    batch_size: int
    steps: int = 0  # training steps the user's fit made (0: it raised before the first)


@dataclass(frozen=True)
class Held:
    """A trained clone measured on the held rows."""

    value: float  # accuracy (class labels) or the loss (regression)
    cross_entropy: float | None  # mean -log p(true class); None when the output is no probability
    steps: int  # training steps the clone made
    seconds: float  # what training and measuring it took


# Every trained clone per user model, setup and step limit (None: the time budget): the
# unfixed clone serves every cause, and a fix trained for a marginal trial serves its own.
_CLONES: weakref.WeakKeyDictionary[Any, dict[tuple[Setup, int | None], Held]] = (
    weakref.WeakKeyDictionary()
)


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
    return Watched(model, callback.initial_weights, x, y, int(size), callback.steps)


def experiments(probe: KerasProbe, obs: Observations, seconds: float) -> list[Any]:
    """The experiments run on copies after the script: events for the rules and the report.

    A tiny batch overfit from the first fit's weights (OverfitTrial), a short LR
    range probe (LRProbe) and the trained model on real and blanked inputs
    (InputDependence), within `seconds` in all.
    """
    try:
        seen = watched(probe)
    except Exception as error:  # noqa: BLE001 - a failed experiment is a note, not a crash
        return [InternalError("keras experiments", f"{type(error).__name__}: {error}")]
    if seen is None or seen.steps == 0:
        return []  # the user's fit raised: their configuration cannot train a copy either
    events: list[Any] = []
    probe.paused = True
    try:
        with _rng_kept(), _torch_rng_kept():
            budget = seconds * LABEL_SHARE
            attempt(events, "keras label control", lambda: _label_control(seen, obs, budget))
            started = time.monotonic()
            for name, experiment, share in (
                ("tiny batch", _overfit, TINY_SHARE),
                ("lr range probe", _lr_probe, TINY_SHARE),
                ("input dependence", _input_dependence, TINY_SHARE),
            ):
                left = seconds - (time.monotonic() - started)
                if left <= 0:
                    break
                budget = min(left, seconds * share)
                attempt(events, f"keras {name}", lambda e=experiment, b=budget: e(seen, obs, b))
    finally:
        probe.paused = False
    return events


def _label_control(seen: Watched, obs: Observations, seconds: float) -> LabelControl | None:
    """Two clones from the user's first weights, on real and on shuffled labels of the
    sample's training rows, measured on its held rows (the rows every 4th)."""
    if not _is_classes(seen.y):
        return None
    train, held = _split(seen)
    ids = _class_ids(train[1])
    if np.unique(ids).size < 2 or len(held[0]) < 2:
        return None
    rows = seen.y.reshape(len(seen.y), -1)
    one_hot = np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(axis=1) == 1)
    if rows.shape[1] > 1 and not one_hot:
        return None  # several tags (or a map of ids) per row: one accuracy does not judge them
    user = _user_setup(seen, obs)
    start = _start_weights(seen)
    real, steps = _train(seen, start, user, train, seconds / 2, CONTROL_STEPS)
    order = np.random.default_rng(0).permutation(len(train[1]))
    shuffled = (train[0], train[1][order])
    copy, _ = _train(seen, start, user, shuffled, math.inf, max(steps, 1))
    x_train = _inputs(seen, user, train[0], train[0])
    x_held = _inputs(seen, user, train[0], held[0])

    def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
        return _accuracy(user, np.asarray(model.predict(x, verbose=0), dtype=np.float64), y)

    return LabelControl(
        steps,
        accuracy(real, x_train, train[1]),
        accuracy(real, x_held, held[1]),
        accuracy(copy, x_held, held[1]),
        verdict.constant_guess(np.bincount(_class_ids(held[1])).tolist()),
        len(held[0]),
        len(train[0]),
        accuracy(copy, x_train, shuffled[1]),
        verdict.constant_guess(np.bincount(ids).tolist()),
    )


def _tiny_rows(seen: Watched) -> tuple[np.ndarray, np.ndarray]:
    """TINY_ROWS rows spread over the sample, so sorted data still gives every class."""
    index = np.linspace(0, len(seen.x) - 1, min(TINY_ROWS, len(seen.x))).astype(np.int64)
    return seen.x[index], seen.y[index]


def _loss_of(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    value = _evaluated_loss(model, x, y, batch_size=len(x))
    return value if math.isfinite(value) else math.inf


def _evaluated_loss(model: Any, x: np.ndarray, y: np.ndarray, **options: Any) -> float:
    """The loss alone: a clone keeps the user's compiled metrics (keras.models.clone_model
    recompiles it from the user's compile config unless `compile` is patched, as under
    `nndoctor run`), and `evaluate` then returns [loss, metric...]."""
    return float(model.evaluate(x, y, verbose=0, return_dict=True, **options)["loss"])


def _overfit(seen: Watched, obs: Observations, seconds: float) -> OverfitTrial | None:
    """The user's loss and optimizer config on 16 rows, up to MAX_STEPS steps."""
    x, y = _tiny_rows(seen)
    started = time.monotonic()
    model = _compiled(seen, _start_weights(seen), Setup())
    before = _loss_of(model, x, y)
    repeats = np.tile(np.arange(len(x)), MAX_STEPS)  # one long epoch: no per-epoch overhead
    steps = _fit(model, x[repeats], y[repeats], len(x), MAX_STEPS, seconds)
    after = _loss_of(model, x, y)
    return OverfitTrial(len(x), steps, round(time.monotonic() - started, 3), "loss", before, after)


def _lr_probe(seen: Watched, obs: Observations, seconds: float) -> LRProbe | None:
    """One clone, compiled once, trained PROBE_STEPS steps from the same start at each factor."""
    config = seen.model.optimizer.get_config()
    rate = config.get("learning_rate")
    if not isinstance(rate, (int, float)) or rate <= 0:
        return None  # a schedule: scaling it is not mechanical
    train, _ = _split(seen)
    start = _start_weights(seen)
    model = _compiled(seen, start, Setup())
    model.optimizer.build(model.trainable_variables)
    fresh = [np.asarray(v) for v in model.optimizer.variables]
    begin = _loss_of(model, *train)
    steps, losses = PROBE_STEPS, []
    for factor in PROBE_FACTORS:
        model.set_weights(start)
        for variable, value in zip(model.optimizer.variables, fresh, strict=True):
            variable.assign(value)  # the optimizer state (step count, moments) starts afresh
        model.optimizer.learning_rate.assign(float(rate) * factor)
        # The first factor sets the step count within its share; the others match it.
        limit = seconds / len(PROBE_FACTORS) if not losses else math.inf
        done = _fit(model, *train, seen.batch_size, steps, limit)
        steps = done if not losses else steps
        losses.append(_loss_of(model, *train))
    best = verdict.best_factor(PROBE_FACTORS, losses)
    return LRProbe(steps, begin, PROBE_FACTORS, tuple(losses), best)


def _input_dependence(seen: Watched, obs: Observations, seconds: float) -> InputDependence | None:
    """A copy at the user's trained weights predicts the held rows, real and blanked."""
    if not _is_classes(seen.y):
        return None
    _, held = _split(seen)
    if len(held[0]) < 8:
        return None
    model = _clone(seen.model)
    model.set_weights(seen.model.get_weights())  # read only: the user's model is not run
    setup = _user_setup(seen, obs)
    blank = np.broadcast_to(held[0].mean(axis=0, keepdims=True), held[0].shape)
    real_out = np.asarray(model.predict(held[0], verbose=0), dtype=np.float64)
    blank_out = np.asarray(model.predict(blank.astype(held[0].dtype), verbose=0), dtype=np.float64)
    rows = real_out.reshape(len(real_out), -1)
    scale = float(np.mean(np.abs(rows)))
    spread = float(np.mean(rows.std(axis=0)) / scale) if scale > 0 else 0.0
    return InputDependence(
        len(held[0]),
        _accuracy(setup, real_out, held[1]),
        _accuracy(setup, blank_out, held[1]),
        spread if math.isfinite(spread) else 0.0,
    )


def run(
    probe: KerasProbe,
    obs: Observations,
    causes: list[str],
    seconds: float,
    found: Sequence[str] | None = None,
) -> list[Any]:
    """FixTrial (or InternalError) events for the causes that have a mechanical fix.

    `found` is every cause the diagnosis found, most likely first: the partners of a
    marginal trial (the CLI tries one cause per call and passes them all here).
    """
    if not any(c in FIXES for c in causes):
        return []
    try:
        seen = watched(probe)
    except Exception as error:  # noqa: BLE001 - a failed trial is a note, not a crash
        return [InternalError("keras fix trials", f"{type(error).__name__}: {error}")]
    if seen is None:
        return []
    partners = list(found) if found is not None else list(causes)
    events: list[Any] = []
    probe.paused = True
    try:
        with _rng_kept(), _torch_rng_kept():
            for cause in [c for c in causes if c in FIXES]:
                attempt(
                    events,
                    f"fix trial {cause}",
                    lambda c=cause: _trial(seen, obs, c, seconds, partners),
                )
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


def _split(seen: Watched) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    rows = np.arange(len(seen.x))
    held_rows = rows[rows % HELD_EVERY == HELD_EVERY - 1]
    train_rows = rows[rows % HELD_EVERY != HELD_EVERY - 1]
    return (seen.x[train_rows], seen.y[train_rows]), (seen.x[held_rows], seen.y[held_rows])


def _user_setup(seen: Watched, obs: Observations) -> Setup:
    """How the user's own model turns outputs into classes."""
    squashed = obs.model is not None and obs.model.output_activation in ("sigmoid", "softmax")
    ids = _class_ids(seen.y) if _is_classes(seen.y) else np.zeros(0, dtype=np.int64)
    if seen.y.ndim == 1 or seen.y.shape[-1] == 1:
        if ids.size and int(ids.max()) >= 2 and int(ids.min()) >= 0:
            # One unit regressing class ids: the user's own reading is the rounded output.
            return Setup(rounded=int(ids.max()) + 1)
    return Setup(threshold=0.5 if squashed else 0.0)


Rows = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _trial(
    seen: Watched,
    obs: Observations,
    cause: str,
    seconds: float,
    partners: Sequence[str] = (),
) -> FixTrial | None:
    rows = _split(seen)
    train, held = rows
    if len(held[0]) < 8:
        return None
    classes = _is_classes(seen.y)
    if classes and np.unique(_class_ids(train[1])).size < 2:
        return None  # the sample holds one class: no clone can learn from it
    baseline = _user_setup(seen, obs)
    fixes = FIXES[cause](seen, obs, baseline)
    if not fixes:
        return None
    started = time.monotonic()
    start = _start_weights(seen)
    # The unfixed clone is the same for every cause: trained once per run (on a CNN each
    # clone's trace and steps cost seconds; seed_003 tried three causes).
    share = seconds / (len(fixes) + 1)
    before = _trained(seen, start, baseline, rows, share, None, unfixed=True)
    steps = before.steps or None  # the fixed clones make the unfixed one's steps
    tried = []
    for name, fixed in fixes:
        # Without a baseline run, the fixes share what is left of the budget.
        left = (seconds - (time.monotonic() - started)) / len(fixes)
        after = _trained(seen, start, fixed, rows, left if steps is None else math.inf, steps)
        tried.append((_compare(before, after, len(held[0]), classes), name, fixed, after))
    # The first fix that clearly helps, else the one of highest accuracy (lowest loss).
    outcome, name, fixed, after = max(tried, key=lambda t: _rank(t[0], t[3], classes))
    done = max(steps or 0, after.steps)
    if not outcome[0]:
        extra = _marginal(seen, obs, cause, (name, fixed), baseline, partners, rows, seconds)
        if extra is not None:
            outcome, name, done = extra[0], extra[1], max(done, extra[2])
    validated, metric, value_before, value_after = outcome
    trivial = verdict.constant_guess(np.bincount(_class_ids(held[1])).tolist()) if classes else None
    judged = verdict.judge(metric, value_before, value_after, len(held[0]), trivial)
    seconds_taken = round(time.monotonic() - started, 3)
    result = True if validated else verdict.validated(judged)  # a cross-entropy pass stands
    return FixTrial(cause, name, metric, done, seconds_taken, value_before, value_after, result)


Outcome = tuple[bool, str, float, float]  # validated, metric, before, after


def _compare(before: Held, after: Held, rows: int, classes: bool) -> Outcome:
    """Whether `after` is clearly better than `before`, by the metric that decided."""
    metric = "accuracy" if classes else "loss"
    if verdict.fixed(metric, before.value, after.value, rows):
        return True, metric, before.value, after.value
    ce_before, ce_after = before.cross_entropy, after.cross_entropy
    # On a few dozen held rows an accuracy gain must clear 2 binomial standard errors
    # (iris: 26 rows, 0.196); the held cross-entropy is the continuous quantity the loss
    # itself measures. Lower is better, by the loss rule of verdict (<= LOSS_RATIO x);
    # the accuracy must not drop, so a more confident wrong model does not count.
    if classes and ce_before is not None and ce_after is not None:
        not_worse = after.value >= before.value
        if not_worse and verdict.fixed("loss", ce_before, ce_after, rows):
            return True, CROSS_ENTROPY, ce_before, ce_after
    return False, metric, before.value, after.value


def _rank(outcome: Outcome, after: Held, classes: bool) -> tuple[bool, float, float]:
    """Clearly better first; then higher accuracy or lower loss; then lower cross-entropy."""
    value = after.value if math.isfinite(after.value) else -math.inf if classes else math.inf
    entropy = after.cross_entropy if after.cross_entropy is not None else math.inf
    return outcome[0], value if classes else -value, -entropy


def _marginal(
    seen: Watched,
    obs: Observations,
    cause: str,
    fix: tuple[str, Setup],
    baseline: Setup,
    partners: Sequence[str],
    rows: Rows,
    seconds: float,
) -> tuple[Outcome, str, int] | None:
    """The fix on top of another found cause's fix, set against that fix alone.

    Two faults that each stop training hide each other's fix (seed_003: raw pixels
    and no softmax; the softmax alone leaves the pixels raw). The cause's fix counts
    when the two together are clearly better than the other alone, by the same
    verdict. At most `seconds` more: the partner's clone is kept, and its own trial
    reuses it.
    """
    started = time.monotonic()
    start = _start_weights(seen)
    steps = _CLONES[seen.model][(baseline, None)].steps or None
    name, fixed = fix
    cost = _CLONES[seen.model][(fixed, steps)].seconds  # one clone's time: the estimate
    for partner in partners:
        if partner == cause or partner not in FIXES:
            continue
        partner_fixes = FIXES[partner](seen, obs, baseline)
        if not partner_fixes:
            continue
        partner_name, partner_setup = partner_fixes[0]  # its first: the primary fix
        combined = _combined(baseline, fixed, partner_setup)
        if combined is None:
            continue  # the two fixes set one thing two ways
        new = [s for s in (partner_setup, combined) if (s, steps) not in _CLONES[seen.model]]
        if time.monotonic() - started + cost * len(new) > seconds:
            break
        limit = math.inf if steps is not None else seconds / 2
        alone = _trained(seen, start, partner_setup, rows, limit, steps)
        both = _trained(seen, start, combined, rows, limit, steps)
        outcome = _compare(alone, both, len(rows[1][0]), _is_classes(seen.y))
        if not outcome[0]:
            return None  # one partner only: each more would be one more chance of a lucky pass
        return outcome, f"{name} (on top of: {partner_name})", max(alone.steps, both.steps)
    return None


def _combined(user: Setup, first: Setup, second: Setup) -> Setup | None:
    """Both fixes' changes to the user's setup, or None when they change one field two ways."""
    changes: dict[str, Any] = {}
    for field in fields(Setup):
        mine, a, b = (getattr(s, field.name) for s in (user, first, second))
        if a != mine and b != mine and a != b:
            return None
        if a != mine or b != mine:
            changes[field.name] = a if a != mine else b
    return replace(user, **changes)


def _trained(
    seen: Watched,
    start: list[np.ndarray],
    setup: Setup,
    rows: Rows,
    seconds: float,
    steps: int | None,
    unfixed: bool = False,
) -> Held:
    """A clone trained with the setup and measured on the held rows; once per run."""
    kept = _CLONES.setdefault(seen.model, {})
    key = (setup, steps)
    if key in kept:
        return kept[key]
    train, held = rows
    started = time.monotonic()
    try:
        model, done = _train(seen, start, setup, train, seconds, steps)
    except ValueError:
        if not unfixed:
            raise
        # The user's configuration cannot train (labels the loss cannot read): their
        # model stays at its start weights, which is what the fixed clones are set against.
        model, done = _clone(seen.model), 0
        model.set_weights(start)
    value, entropy = _measure(seen, setup, model, train, held, _is_classes(seen.y))
    kept[key] = Held(value, entropy, done, time.monotonic() - started)
    return kept[key]


# ---------------------------------------------------------------- training a clone


def _clone(model: Any, setup: Setup | None = None) -> Any:
    """A clone of the model with the setup's architecture changes (output and hidden layers)."""
    setup = setup or Setup()
    found = output_layer(model)
    last = found[0] if found else None
    changed = setup.activation is not None or setup.head_units is not None

    def clone_layer(layer: Any) -> Any:
        config = layer.get_config()
        if layer is last and changed:
            if _activation(layer) in ("softmax",) and "activation" not in config:
                return keras.layers.Activation(setup.activation or "linear", name=layer.name)
            if setup.activation is not None:
                config["activation"] = setup.activation
            if setup.head_units is not None and "units" in config:
                config["units"] = setup.head_units
        elif layer is not last and setup.hidden and _activation(layer) in setup.hidden_from:
            config["activation"] = setup.hidden
            if setup.he_init and "kernel_initializer" in config:
                config["kernel_initializer"] = "he_normal"
                config["bias_initializer"] = "zeros"
        return type(layer).from_config(config)

    random.seed(0)  # the clones' initialisers and dropout draw their seeds from here
    return keras.models.clone_model(model, clone_function=clone_layer)


def _start_weights(seen: Watched) -> list[np.ndarray]:
    if seen.weights is not None:
        return seen.weights
    return _clone(seen.model).get_weights()  # one fresh initialisation, shared by both clones


def _set_start(seen: Watched, model: Any, setup: Setup, start: list[np.ndarray]) -> None:
    """The start weights, layer by layer, except where the setup rebuilt a layer."""
    if setup.head_units is None and not setup.he_init:
        model.set_weights(start)
        return
    template = _clone(seen.model)
    template.set_weights(start)
    for mine, theirs in zip(model.layers, template.layers, strict=True):
        rebuilt = setup.he_init and _activation(theirs) in setup.hidden_from
        shapes = [w.shape for w in theirs.get_weights()]
        if not rebuilt and shapes == [w.shape for w in mine.get_weights()]:
            mine.set_weights(theirs.get_weights())


def _loss(seen: Watched, setup: Setup) -> Any:
    loss = seen.model.loss
    if setup.loss_class is not None:
        return getattr(keras.losses, setup.loss_class)(from_logits=bool(setup.from_logits))
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
    """Stops the fit at `steps`, or after `seconds`; counts the steps done.

    The clock starts after the first step, which traces the train step: a budget
    shorter than the trace (seconds for a CNN on TensorFlow) would leave one step.
    """

    def __init__(self, steps: int, seconds: float) -> None:
        super().__init__()
        self.limit, self.seconds, self.done = steps, seconds, 0
        self.started = math.inf

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.done += 1
        if self.done == 1:
            self.started = time.monotonic()
        if self.done >= self.limit or time.monotonic() - self.started > self.seconds:
            self.model.stop_training = True


def _compiled(seen: Watched, start: list[np.ndarray], setup: Setup) -> Any:
    model = _clone(seen.model, setup)
    _set_start(seen, model, setup, start)
    model.compile(loss=_loss(seen, setup), optimizer=_optimizer(seen, setup))
    return model


def _fit(model: Any, x: np.ndarray, y: np.ndarray, batch: int, steps: int, seconds: float) -> int:
    """`steps` steps of `fit` over the rows in order (or fewer, at `seconds`): the steps done."""
    batch = max(1, min(batch, len(x)))
    per_epoch = math.ceil(len(x) / batch)
    budget = _Budget(steps, seconds)
    model.fit(
        x,
        y,
        batch_size=batch,
        epochs=math.ceil(steps / per_epoch),
        shuffle=False,
        verbose=0,
        callbacks=[budget],
    )
    return budget.done


def _train(
    seen: Watched,
    start: list[np.ndarray],
    setup: Setup,
    train: tuple[np.ndarray, np.ndarray],
    seconds: float,
    steps: int | None,
) -> tuple[Any, int]:
    model = _compiled(seen, start, setup)
    x = _inputs(seen, setup, train[0], train[0])
    limit = steps if steps is not None else MAX_STEPS
    return model, _fit(model, x, train[1], seen.batch_size, limit, seconds)


def _measure(
    seen: Watched,
    setup: Setup,
    model: Any,
    train: tuple[np.ndarray, np.ndarray],
    held: tuple[np.ndarray, np.ndarray],
    classes: bool,
) -> tuple[float, float | None]:
    """The held accuracy (class labels) or loss (regression), and the held cross-entropy."""
    x = _inputs(seen, setup, train[0], held[0])
    if not classes:
        return _evaluated_loss(model, x, held[1]), None
    out = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    return _accuracy(setup, out, held[1]), _cross_entropy(seen, setup, out, held[1])


def _cross_entropy(seen: Watched, setup: Setup, out: np.ndarray, y: np.ndarray) -> float | None:
    """Mean -log p(true class), p read as the clone's loss reads its output; None when
    that reading is no probability of a class (see `_reading`)."""
    reading = _reading(seen, setup)
    if reading is None:
        return None
    rows = out.reshape(len(out), -1)
    truth = _class_ids(y)
    if truth.min() < 0 or truth.max() >= max(rows.shape[1], 2):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        if rows.shape[1] > 1:
            if reading == "logits":
                shifted = rows - rows.max(axis=1, keepdims=True)
                rows = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            true_p = rows[np.arange(len(rows)), truth]
        else:
            one = 1 / (1 + np.exp(-rows[:, 0])) if reading == "logits" else rows[:, 0]
            true_p = np.where(truth == 1, one, 1 - one)
    # A NaN/inf output gives the true class nothing: the clip's worst, like a wrong row.
    true_p = np.clip(np.nan_to_num(true_p, nan=0.0, posinf=0.0, neginf=0.0), EPSILON, 1.0)
    return float(np.mean(-np.log(true_p)))


def _reading(seen: Watched, setup: Setup) -> str | None:
    """How the clone's cross-entropy loss reads its output: "probabilities" or "logits".

    None when the reading is no class distribution the model predicts: a loss that
    is not a cross-entropy (a regression head on class ids), a linear output the loss
    takes for probabilities (missing-output-activation: Keras normalises and clips raw
    scores, so their "cross-entropy" can be near 0 for a wrong model), a softmax the
    loss softmaxes again (double-softmax: a floor on the loss that says nothing of
    the predictions), a softmax over one unit or sigmoids over several. The clones
    are then compared by accuracy only.
    """
    found = output_layer(seen.model)
    info = describe_loss(seen.model.loss)
    if found is None or info is None:
        return None
    kinds = {
        "CategoricalCrossentropy": "cross_entropy",
        "SparseCategoricalCrossentropy": "cross_entropy",
        "BinaryCrossentropy": "bce",
    }
    if setup.loss_class is not None:
        loss, logits = kinds.get(setup.loss_class), bool(setup.from_logits)
    else:
        loss = "bce" if info.loss == "bce_logits" else info.loss
        logits = setup.from_logits if setup.from_logits is not None else info.expects == "logits"
    width = setup.head_units or (seen.model.output_shape or (None,))[-1]
    if not isinstance(width, int) or loss != ("cross_entropy" if width > 1 else "bce"):
        return None
    activation = setup.activation or found[1]
    if activation in ("softmax", "sigmoid"):
        squashed_right = activation == ("softmax" if width > 1 else "sigmoid")
        return "probabilities" if squashed_right and not logits else None
    return "logits" if logits else None


def _accuracy(setup: Setup, out: np.ndarray, y: np.ndarray) -> float:
    rows = out.reshape(len(out), -1)
    # A row with NaN/inf outputs names no class: it counts as wrong, so a diverged
    # clone scores low (not NaN, which no fix could beat and JSON cannot hold).
    finite = np.all(np.isfinite(rows), axis=1)
    rows = np.where(finite[:, None], rows, 0.0)
    if rows.shape[1] > 1:
        predicted = rows.argmax(axis=1)
    elif setup.rounded:
        predicted = np.clip(np.round(rows[:, 0]), 0, setup.rounded - 1)
    else:
        predicted = rows[:, 0] > setup.threshold
    truth = _class_ids(y)
    if predicted.shape != truth.shape:
        return float("nan")
    return float(np.mean((predicted.astype(np.int64) == truth) & finite))


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
    if _logits_cached(seen.model):
        return []  # both clones would compute the same numbers: nothing to try
    fixed = replace(user, from_logits=False, threshold=0.5)
    return [("compile the loss with from_logits=False", fixed)]


def _logits_cached(model: Any) -> bool:
    """On TensorFlow, Keras's softmax and sigmoid keep their input on the output tensor
    (`_keras_logits`), and its cross-entropies read that input whatever from_logits
    says (keras/src/backend/tensorflow/nn.py, `_get_logits`): when such a layer makes
    the model's output, the loss never sees the second softmax."""
    found = output_layer(model)
    if keras.backend.backend() != "tensorflow" or found is None:
        return False
    layer, activation = found
    if activation not in ("softmax", "sigmoid"):
        return False
    if isinstance(model, keras.Sequential):
        return bool(model.layers) and model.layers[-1] is layer
    return model.outputs[0]._keras_history.operation is layer


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
        return [
            (f"learning rate x{f:g}", replace(user, lr_factor=f)) for f in _lr_factors(obs, cause)
        ]

    return fix


def _lr_factors(obs: Observations, cause: str) -> list[float]:
    """The factors to try, the LR probe's pick first, then the one the measured update
    ratio asks for (the ratio scales with the rate under SGD), then the fixed decades."""
    factors: list[float] = []
    probe = obs.lr_probe
    if probe is not None and probe.best != 1.0 and (probe.best < 1.0) == (cause == "lr-too-high"):
        factors.append(probe.best)
    ratios = [v.value for r in obs.trace for v in r.update_ratios if v.value > 0]
    if ratios:
        wanted = 10.0 ** round(math.log10(verdict.TYPICAL_UPDATE_RATIO / float(np.median(ratios))))
        if (wanted < 1.0) == (cause == "lr-too-high") and wanted != 1.0:
            factors.append(wanted)
    factors += [f for f in LR_FACTORS[cause]]
    return list(dict.fromkeys(factors))


def _labels(seen: Watched) -> tuple[str, int] | None:
    """How the labels are written ("ids" or "one-hot") and how many classes they hold."""
    if not _is_classes(seen.y):
        return None
    rows = seen.y.reshape(len(seen.y), -1)
    if rows.shape[1] > 1:
        one_hot = bool(np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(axis=1) == 1))
        return ("one-hot", rows.shape[1]) if one_hot else None
    ids = rows[:, 0]
    return ("ids", int(ids.max()) + 1) if ids.min() >= 0 else None


def _squashed(seen: Watched) -> bool:
    found = output_layer(seen.model)
    return found is not None and found[1] in ("softmax", "sigmoid")


def _fix_wrong_loss(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    info, labels = describe_loss(seen.model.loss), _labels(seen)
    found = output_layer(seen.model)
    if info is None or labels is None or found is None:
        return []
    encoding, classes = labels
    width = seen.model.output_shape[-1] if seen.model.output_shape else None
    if info.loss in ("mse", "l1") and encoding == "ids" and width == 1 and classes > 2:
        if "units" not in found[0].get_config():
            return []
        fixed = replace(
            user,
            head_units=classes,
            activation="softmax",
            loss_class="SparseCategoricalCrossentropy",
            from_logits=False,
            rounded=0,
        )
        return [(f"a {classes}-unit softmax head with sparse_categorical_crossentropy", fixed)]
    if info.loss in ("mse", "l1") and encoding == "ids" and width is not None and width > 1:
        fixed = replace(
            user, loss_class="SparseCategoricalCrossentropy", from_logits=not _squashed(seen)
        )
        return [("compile with sparse_categorical_crossentropy", fixed)]
    if info.loss == "cross_entropy" and width == 1 and found[1] in ("sigmoid", "linear"):
        logits = found[1] == "linear"
        fixed = replace(
            user,
            loss_class="BinaryCrossentropy",
            from_logits=logits,
            threshold=0.0 if logits else 0.5,
        )
        return [("compile with binary_crossentropy", fixed)]
    if info.loss in ("bce", "bce_logits") and encoding == "one-hot" and classes > 2:
        if found[1] == "sigmoid":
            fixed = replace(user, activation="softmax", loss_class="CategoricalCrossentropy")
            return [("a softmax output with categorical_crossentropy", fixed)]
        if found[1] == "linear":
            fixed = replace(user, loss_class="CategoricalCrossentropy", from_logits=True)
            return [("categorical_crossentropy(from_logits=True)", fixed)]
    return []


def _fix_labels(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    """The loss that reads the labels as they are written: the one-word change."""
    info, labels = describe_loss(seen.model.loss), _labels(seen)
    if info is None or labels is None or info.loss != "cross_entropy":
        return []
    logits = info.expects == "logits"
    if labels[0] == "ids" and info.label_format == "one-hot":
        fixed = replace(user, loss_class="SparseCategoricalCrossentropy", from_logits=logits)
        return [("compile with sparse_categorical_crossentropy (the labels are class ids)", fixed)]
    if labels[0] == "one-hot" and info.label_format == "ids":
        fixed = replace(user, loss_class="CategoricalCrossentropy", from_logits=logits)
        return [("compile with categorical_crossentropy (the labels are one-hot rows)", fixed)]
    return []


def _fix_vanishing(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    kinds = ("sigmoid", "tanh")
    if not any(_activation(layer) in kinds for layer in _hidden(seen.model)):
        return []
    fixed = replace(user, hidden="relu", hidden_from=kinds, he_init=True)
    name = "replace hidden sigmoid/tanh by ReLU with He init"
    fixes = [(name, fixed)]
    rate = seen.model.optimizer.get_config().get("learning_rate")
    if isinstance(rate, (int, float)):
        # The user's rate was set where the gradient vanished (verdict.SWAP_LR_FACTOR).
        factor = verdict.SWAP_LR_FACTOR
        fixes.append((f"{name}, learning rate x{factor:g}", replace(fixed, lr_factor=factor)))
    return fixes


def _fix_activation(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    """A sigmoid over K exclusive classes becomes a softmax; a deep sigmoid stack, ReLU."""
    found = output_layer(seen.model)
    model = obs.model
    if found and found[1] == "sigmoid" and model and (model.output_width or 0) > 1:
        return [("use a softmax output", replace(user, activation="softmax"))]
    return _fix_vanishing(seen, obs, user)


def _fix_dead_relu(seen: Watched, obs: Observations, user: Setup) -> list[Any]:
    if not any(_activation(layer) == "relu" for layer in _hidden(seen.model)):
        return []
    leaky = replace(user, hidden="leaky_relu", hidden_from=("relu",))
    fixes = [
        ("use LeakyReLU instead of ReLU", leaky),
        (
            "re-initialise the ReLU layers with He init and zero biases",
            replace(leaky, hidden="relu", he_init=True),
        ),
    ]
    rate = seen.model.optimizer.get_config().get("learning_rate")
    if isinstance(rate, (int, float)):
        fixes.append(("learning rate x0.1", replace(user, lr_factor=0.1)))
    return fixes


def _hidden(model: Any) -> list[Any]:
    """The layers of a Sequential or functional model other than the output layer."""
    found = output_layer(model)
    last = found[0] if found else None
    return [layer for layer in model.layers if layer is not last]


FIXES: dict[str, Callable[[Watched, Observations, Setup], list[Any]]] = {
    "missing-output-activation": _fix_missing_activation,
    "double-softmax": _fix_double_softmax,
    "softmax-single-unit": _fix_single_unit,
    "inputs-not-normalized": _fix_inputs,
    "lr-too-high": _fix_lr("lr-too-high"),
    "lr-too-low": _fix_lr("lr-too-low"),
    "wrong-loss-for-task": _fix_wrong_loss,
    "labels-not-encoded": _fix_labels,
    "vanishing-gradient": _fix_vanishing,
    "wrong-activation": _fix_activation,
    "dead-relu": _fix_dead_relu,
}
