"""NumPy probe: measures a hand-written network through the user's own functions.

Public API re-exported as `nndoctor.numpy`: `check(...)` runs the one-call
checks on a sample batch, `Monitor` records the training as it goes. Both only
produce observations; the rules decide what they mean.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor import session as _session
from nndoctor.errors import UsageError
from nndoctor.observations import (
    ArrayStats,
    DataProfile,
    EvalCheck,
    GradCheck,
    GradEntry,
    InternalError,
    LabelStats,
    LayerInit,
    MutationCheck,
    NamedValue,
    OutputProfile,
    OverfitTrial,
    ParamGradCheck,
    RunInfo,
    StepRecord,
    UpdateCheck,
)

Params = Mapping[str, np.ndarray] | Sequence[np.ndarray] | Callable[[], Any]

GRADCHECK_ENTRIES = 12  # sampled entries per array: enough to see a wrong formula, cheap
GRADCHECK_STEP = 1e-5  # float64 central differences (CS231n, "Gradient checks")
GRADCHECK_STEP_FLOAT32 = 1e-3  # float32 arrays cannot resolve a 1e-5 step
FLAT_GRADIENT = 1e-9  # both gradients below this: the unit is flat (saturated or dead)
SATURATED = 1e-6  # a probability this close to 0 or 1: the output unit is saturated
OVERFIT_EXAMPLES = 16
OVERFIT_STEPS = 200
OVERFIT_SECONDS = 10.0
TRIAL_SECONDS = 10.0  # each fix trial of a plain-python check(); nndoctor run has --trial-seconds


# ---------------------------------------------------------------- arguments


def _param_dict(params: Params) -> dict[str, np.ndarray]:
    value = params() if callable(params) else params
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = [(f"param[{i}]", v) for i, v in enumerate(value)]
    else:
        raise UsageError(
            f"params must be a dict of arrays, a list of arrays, or a function returning one; "
            f"got {type(value).__name__}. Example: params=lambda: {{'W1': W1, 'b1': b1}}"
        )
    arrays = {str(k): v for k, v in items if isinstance(v, np.ndarray)}
    if not arrays:
        raise UsageError(
            "params holds no NumPy arrays. Pass your weights, e.g. "
            "params=lambda: {'W1': net.W1, 'b1': net.b1}"
        )
    bad = [k for k, v in arrays.items() if not np.issubdtype(v.dtype, np.floating)]
    if bad:
        raise UsageError(
            f"params {bad} are not floating-point arrays (dtype "
            f"{arrays[bad[0]].dtype}); weights must be float. Use W = W.astype(np.float64)."
        )
    return arrays


def _as_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - any conversion failure is the user's input
        raise UsageError(f"{name} could not be read as an array: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise UsageError(
            f"{name} must be a numeric array; got dtype {array.dtype}. "
            f"Convert it first, e.g. {name} = np.asarray({name}, dtype=np.float64)."
        )
    if array.ndim == 0 or array.size == 0:
        raise UsageError(f"{name} must hold at least one sample; got shape {array.shape}.")
    return array


def _call(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except _session.StopTraining:
        raise
    except Exception as error:
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise UsageError(
            f"your {name} function raised {type(error).__name__}: {error} "
            f"(called with arrays of shape {shapes}, the sample batch you passed to check). "
            f"Pass a {name} that works on that batch as your training code calls it."
        ) from error


def _output_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, tuple):
        raise UsageError(
            f"{name} returned a tuple of {len(value)} items; nndoctor needs the network output "
            f"only. Wrap it: {name}=lambda x: my_{name}(x)[-1] (or the item that is the output)."
        )
    return _as_array(f"the output of {name}", value)


# ---------------------------------------------------------------- layouts


def _sample_count(x: np.ndarray, y: np.ndarray) -> tuple[int, str]:
    """Number of samples and whether they run along rows or columns of x."""
    if x.ndim == 1:
        return 1, "rows"
    label_layout = None
    if y.ndim == 1:
        n = y.shape[0]
    else:
        first, last = y.shape[0] in x.shape, y.shape[-1] in x.shape
        if last and not first:
            n, label_layout = y.shape[-1], "columns"
        elif first:
            n, label_layout = y.shape[0], "rows"
        else:
            n = -1
    if n > 0 and x.shape[0] == n and (x.ndim > 2 or x.shape[1] != n):
        return n, "rows"
    if n > 0 and x.ndim == 2 and x.shape[1] == n and x.shape[0] != n:
        return n, "columns"
    if n > 0 and x.shape[0] == n:
        return n, label_layout or "rows"  # square x: the labels tell
    raise UsageError(
        f"x has shape {x.shape} and y has shape {y.shape}: no axis of x matches the number of "
        f"labels. Pass x and y for the same samples (one label, or one one-hot row, per sample)."
    )


def _samples_first(array: np.ndarray, n: int) -> np.ndarray:
    """The array with samples along axis 0, as (n, width)."""
    if array.ndim == 1:
        return array.reshape(-1, 1) if array.shape[0] == n else array.reshape(1, -1)
    if array.shape[0] == n or array.ndim > 2:
        return array.reshape(array.shape[0], -1)
    if array.shape[1] == n:
        return array.T
    return array.reshape(array.shape[0], -1)


def _take(array: np.ndarray, index: np.ndarray, n: int, layout: str) -> np.ndarray:
    """The samples at `index`, along whichever axis holds the samples."""
    if array.ndim != 2:
        return array[index]
    if array.shape[0] == array.shape[1]:
        columns = layout == "columns"
    else:
        columns = array.shape[1] == n
    return array[:, index] if columns else array[index]


# ---------------------------------------------------------------- profiles


def profile_inputs(x: np.ndarray, layout: str) -> ArrayStats:
    rows = (
        x.reshape(1, -1) if x.ndim == 1 else (x.T if layout == "columns" else x.reshape(len(x), -1))
    )
    rows = rows.astype(np.float64)
    finite = np.isfinite(rows)
    clean = np.where(finite, rows, 0.0)
    feature_std = clean.std(axis=0)
    return ArrayStats(
        shape=tuple(int(s) for s in x.shape),
        mean=float(clean.mean()),
        std=float(clean.std()),
        min=float(clean.min()),
        max=float(clean.max()),
        nonfinite=int((~finite).sum()),
        feature_mean_abs_max=float(np.abs(clean.mean(axis=0)).max()),
        feature_std_min=float(feature_std.min()),
        feature_std_max=float(feature_std.max()),
        constant_features=int((feature_std == 0).sum()) if len(rows) > 1 else 0,
    )


def profile_labels(y: np.ndarray, n: int) -> LabelStats:
    values = y.astype(np.float64)
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    integral = bool(np.all(clean == np.round(clean)))
    rows = _samples_first(clean, n)
    if rows.shape[1] > 1 and np.isin(rows, (0.0, 1.0)).all():
        one_hot = bool((rows.sum(axis=1) == 1).all())
        counts = tuple(int(c) for c in rows.sum(axis=0))
        encoding = "one-hot" if one_hot else "multi-hot"
        n_classes = rows.shape[1]
    elif rows.shape[1] == 1 and integral and clean.min() >= 0:
        ids = rows[:, 0].astype(np.int64)
        counts = tuple(int(c) for c in np.bincount(ids))
        n_classes = len(counts)
        encoding = "ids"
    else:
        counts, n_classes, encoding = (), 0, "continuous"
    return LabelStats(
        shape=tuple(int(s) for s in y.shape),
        encoding=encoding,
        n_classes=n_classes,
        min=float(clean.min()),
        max=float(clean.max()),
        counts=counts,
        nonfinite=int((~finite).sum()),
        mean=float(clean.mean()),
        std=float(clean.std()),
        column_variance=float(rows.var(axis=0).mean()),
        column_abs_deviation=float(np.abs(rows - np.median(rows, axis=0)).mean()),
    )


def predicted_classes(output: np.ndarray, n: int) -> np.ndarray:
    rows = _samples_first(np.asarray(output, dtype=np.float64), n)
    if rows.shape[1] == 1:
        return (rows[:, 0] > 0.5).astype(np.int64)
    return rows.argmax(axis=1)


def _loss_ratio(output: np.ndarray, y: np.ndarray, n: int, loss: Any) -> float | None:
    """The user's loss over the true-class cross-entropy, for class ids against K outputs."""
    labels = _samples_first(np.asarray(y, dtype=np.float64), n)
    rows = _samples_first(np.asarray(output, dtype=np.float64), n)
    if loss is None or labels.shape[1] != 1 or rows.shape[1] < 2 or not _integral(labels):
        return None
    if labels.min() < 0 or labels.max() >= rows.shape[1]:
        return None
    user, true_class = float(_call("loss", loss, output, y)), task_loss(output, y, n)
    return user / true_class if true_class > 0 and math.isfinite(user) else None


def _finite_at_limits(output: np.ndarray, y: np.ndarray, n: int, loss: Any) -> bool | None:
    """The user's loss on perfect predictions (probability 1 on each true class, 0
    elsewhere) is finite. None when the outputs are not probabilities or the perfect
    outputs cannot be built from the labels."""
    out = np.asarray(output, dtype=np.float64)
    if loss is None or not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
        return None
    labels = np.asarray(y, dtype=np.float64)
    if labels.shape == out.shape and np.isin(labels, (0.0, 1.0)).all():
        perfect = labels.copy()
    elif out.ndim == 2 and labels.size == n and _integral(labels) and labels.min() >= 0:
        ids = labels.reshape(-1).astype(np.int64)
        k = out.shape[1] if out.shape[0] == n else out.shape[0]
        if ids.max() >= k:
            return None
        perfect = np.eye(k)[ids]
        perfect = perfect if out.shape[0] == n else perfect.T
    else:
        return None
    with np.errstate(all="ignore"):
        value = np.asarray(_call("loss", loss, perfect, y), dtype=np.float64)
    return bool(np.all(np.isfinite(value)))


def profile_output(
    output: np.ndarray,
    n: int,
    saturated: bool = False,
    loss_ratio: float | None = None,
    finite_at_limits: bool | None = None,
) -> OutputProfile:
    rows = _samples_first(output.astype(np.float64), n)
    finite = np.isfinite(rows)
    clean = np.where(finite, rows, 0.0)
    in_unit = bool(clean.min() >= 0 and clean.max() <= 1)
    sums_to_one = bool(rows.shape[1] > 1 and np.allclose(clean.sum(axis=1), 1.0, atol=1e-4))
    activation = "softmax" if in_unit and sums_to_one else "sigmoid" if in_unit else "linear"
    classes = predicted_classes(clean, len(clean))
    width = max(rows.shape[1], 2)
    return OutputProfile(
        width=int(rows.shape[1]),
        min=float(clean.min()),
        max=float(clean.max()),
        rows_sum_to_one=sums_to_one,
        activation=activation,
        pred_counts=tuple(int(c) for c in np.bincount(classes, minlength=width)),
        nonfinite=int((~finite).sum()),
        saturated=saturated,
        loss_over_class_ce=loss_ratio,
        loss_finite_at_limits=finite_at_limits,
    )


def profile_init(params: Mapping[str, np.ndarray], n_features: int) -> list[LayerInit]:
    """Scale of each weight matrix against 1/sqrt(fan_in), and units that are copies.

    Biases are not profiled: starting them at 0 is the norm, not a fault.
    """
    matrices = [(k, v) for k, v in params.items() if v.ndim == 2 and min(v.shape) > 1]
    if not matrices:
        return []
    first = matrices[0][1]
    # The first matrix touches the inputs: the axis sized like the features
    # (or features + 1 when a bias column is folded in) is the fan-in axis,
    # and the same convention holds for every layer of the net.
    fan_axis = (
        1
        if first.shape[1] in (n_features, n_features + 1)
        and first.shape[0] not in (n_features, n_features + 1)
        else 0
    )
    weights = _weight_arrays(params, fan_axis)
    layers = []
    for i, (name, w) in enumerate(weights):
        units = w.T if fan_axis == 0 else w
        distinct = len(np.unique(np.round(units, 12), axis=0))
        layers.append(
            LayerInit(
                name=name,
                fan_in=int(w.shape[fan_axis]),
                std=float(w.std()),
                identical_units=int(
                    units.shape[0] - distinct + (1 if distinct < units.shape[0] else 0)
                ),
                n_units=int(units.shape[0]),
                is_last=i == len(weights) - 1,
            )
        )
    return layers


def _weight_arrays(params: Mapping[str, np.ndarray], fan_axis: int) -> list[tuple[str, Any]]:
    """The weight matrices in order, with the weight vector of a one-output layer.

    A (1, n) or (n, 1) array is a layer's weights when its fan-in axis holds the
    previous layer's n units (W2 of a one-output net); a bias holds them on the
    other axis (b1 of shape (n, 1) beside W1 of shape (n, features)).
    """
    weights: list[tuple[str, Any]] = []
    units = None  # units of the previous weight layer
    for name, v in params.items():
        if v.ndim != 2 or max(v.shape) < 2:
            continue
        vector = min(v.shape) == 1
        if vector and not (units and units > 1 and v.shape[fan_axis] == units):
            continue
        weights.append((name, v))
        units = v.shape[1 - fan_axis]
    return weights


# ---------------------------------------------------------------- checks


class _Snapshot:
    """Copies of the parameter values, written back in place afterwards."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.saved = {k: v.copy() for k, v in _param_dict(params).items()}

    def changed(self) -> tuple[list[str], list[str], dict[str, float]]:
        now = _param_dict(self.params)
        changed, same, ratios = [], [], {}
        for name, old in self.saved.items():
            new = now.get(name)
            if new is None or new.shape != old.shape or not np.array_equal(new, old):
                changed.append(name)
            else:
                same.append(name)
            if new is not None and new.shape == old.shape:
                ratios[name] = float(np.linalg.norm(new - old) / max(np.linalg.norm(old), 1e-12))
        return changed, same, ratios

    def restore(self) -> None:
        # The user's step may have rebound an attribute to a new array; writing
        # the old values into whatever array is live now restores the state
        # either way, bit for bit.
        for name, array in _param_dict(self.params).items():
            if name in self.saved and array.shape == self.saved[name].shape:
                np.copyto(array, self.saved[name])


def _strip(key: str) -> str:
    k = key.lower()
    for prefix in ("grad_", "grad", "dl_d", "dj_d", "d_", "d"):
        if k.startswith(prefix) and len(k) > len(prefix):
            k = k[len(prefix) :]
            break
    for suffix in ("_grad", "grad", "_gradient"):
        if k.endswith(suffix) and len(k) > len(suffix):
            k = k[: -len(suffix)]
    return k


def match_gradients(
    params: Mapping[str, np.ndarray], grads: Any
) -> tuple[dict[str, np.ndarray], list[str], list[tuple[str, str]]]:
    """Pair gradient arrays with parameters: exactly by key, else by name (dW1 ~ W1)."""
    if isinstance(grads, (list, tuple)) and not isinstance(grads, Mapping):
        grads = {name: g for name, g in zip(params, grads, strict=False)}
    if not isinstance(grads, Mapping):
        raise UsageError(
            f"gradients must return a dict (or list, in the order of params) of arrays; got "
            f"{type(grads).__name__}. Example: gradients=lambda x, y: {{'W1': dW1, 'b1': db1}}"
        )
    matched: dict[str, np.ndarray] = {}
    loose: list[tuple[str, str]] = []
    unmatched = []
    for key, value in grads.items():
        if key in params:
            matched[key] = np.asarray(value)
            continue
        names = [
            p for p in params if _strip(p) == _strip(str(key)) or p.lower() == _strip(str(key))
        ]
        if len(names) == 1 and names[0] not in matched:
            matched[names[0]] = np.asarray(value)
            loose.append((names[0], str(key)))
        else:
            unmatched.append(str(key))
    return matched, unmatched, loose


def gradient_check(
    params: Params,
    loss_at: Callable[[], float],
    grads: Mapping[str, np.ndarray],
    unmatched: list[str],
    loose: list[tuple[str, str]],
    batch_size: int,
) -> GradCheck:
    """Finite differences of the user's loss against the user's gradients."""
    results, pairs = _compare(params, loss_at, grads)
    live = _param_dict(params)
    return GradCheck(
        params=tuple(results),
        scale=_uniform_scale(pairs),
        batch_size=batch_size,
        missing=tuple(k for k in live if k not in grads),
        unmatched_keys=tuple(unmatched),
        key_pairs=tuple(loose),
    )


def rescale(params: Params, init: list[LayerInit]) -> None:
    """Scale every weight matrix to std 1/sqrt(fan_in), in place (the caller restores)."""
    live = _param_dict(params)
    for layer in init:
        if layer.std > 0:
            live[layer.name] *= (1 / math.sqrt(layer.fan_in)) / layer.std


def _compare(
    params: Params, loss_at: Callable[[], float], grads: Mapping[str, np.ndarray]
) -> tuple[list[ParamGradCheck], list[tuple[np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(0)  # our own generator: the user's global RNG stays untouched
    results, pairs = [], []
    for name, array in _param_dict(params).items():
        grad = grads.get(name)
        if grad is None:
            continue
        if grad.shape != array.shape:
            results.append(ParamGradCheck(name, math.inf, 0, 0.0, ()))
            continue
        step = GRADCHECK_STEP_FLOAT32 if array.dtype == np.float32 else GRADCHECK_STEP
        # Half the entries at random, half where the user's gradient is non-zero:
        # sparse inputs (blank pixels) make most entries 0 on both sides.
        half = GRADCHECK_ENTRIES // 2
        nonzero = np.flatnonzero(grad)
        picked = rng.choice(nonzero, size=min(half, nonzero.size), replace=False)
        rest = np.setdiff1d(np.arange(array.size), picked)
        others = rng.choice(
            rest, size=min(GRADCHECK_ENTRIES - picked.size, rest.size), replace=False
        )
        flat_index = np.concatenate([picked, others])
        entries = []
        for flat in flat_index:
            index = np.unravel_index(int(flat), array.shape)
            original = array[index].copy()
            array[index] = original + step
            plus = float(loss_at())
            array[index] = original - step
            minus = float(loss_at())
            array[index] = original
            entries.append(
                (tuple(int(i) for i in index), float(grad[index]), (plus - minus) / (2 * step))
            )
        analytic = np.array([e[1] for e in entries])
        numeric = np.array([e[2] for e in entries])
        pairs.append((analytic, numeric))
        flat = (np.abs(analytic) < FLAT_GRADIENT) & (np.abs(numeric) < FLAT_GRADIENT)
        worst = sorted(entries, key=lambda e: -abs(e[1] - e[2]))[:3]
        results.append(
            ParamGradCheck(
                name=name,
                rel_error=_rel_error(analytic, numeric),
                checked=len(entries),
                flat_fraction=float(np.mean(flat)),
                worst=tuple(GradEntry(i, a, n) for i, a, n in worst if a != n),
            )
        )
    return results, pairs


def output_saturated(output: np.ndarray, n: int) -> bool:
    """Most samples' probabilities sit within 1e-6 of 0 or 1 (or the output is not finite)."""
    rows = _samples_first(np.asarray(output, dtype=np.float64), n)
    if not np.all(np.isfinite(rows)):
        return True
    if rows.min() < 0 or rows.max() > 1:
        return False  # scores, not probabilities: nothing saturates
    at_limit = (rows < SATURATED) | (rows > 1 - SATURATED)
    return bool(np.mean(at_limit.all(axis=1)) > 0.5)


def _rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    if not (np.all(np.isfinite(analytic)) and np.all(np.isfinite(numeric))):
        return math.inf
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > FLAT_GRADIENT else 0.0


def _uniform_scale(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float | None:
    """The c with analytic == c * numeric for every array, if one c fits all."""
    if not pairs:
        return None
    analytic = np.concatenate([a for a, _ in pairs])
    numeric = np.concatenate([n for _, n in pairs])
    if not (np.all(np.isfinite(analytic)) and np.all(np.isfinite(numeric))):
        return None
    denominator = float(numeric @ numeric)
    if denominator <= 0:
        return None
    scale = float(analytic @ numeric) / denominator
    fits = _rel_error(analytic, scale * numeric) < 1e-3 and scale != 0
    return scale if fits else None


def eval_check(
    forward: Callable[[Any], Any] | None,
    predict: Callable[[Any], Any],
    x: np.ndarray,
    n: int,
    layout: str,
) -> EvalCheck:
    """Feed two different inputs; stale cached activations show as identical predictions."""
    half = max(1, min(8, n // 2))
    if n >= 2:
        first, second = np.arange(half), np.arange(half, 2 * half)
        xa, xb = _take(x, first, n, layout), _take(x, second, n, layout)
    else:
        xa = x
        xb = np.random.default_rng(1).permutation(x.reshape(-1)).reshape(x.shape)
    pa = _as_array("predict output", _call("predict", predict, xa))
    pb = _as_array("predict output", _call("predict", predict, xb))
    forward_varies, disagreement = False, 0.0
    if forward is not None:
        fa = _as_array("forward output", _call("forward", forward, xa))
        fb = _as_array("forward output", _call("forward", forward, xb))
        # Class ids from predict beside probabilities from forward (a logistic
        # regression's `p > 0.5`) share a shape but not a meaning: compare classes.
        ids_only = _integral(pa) and not _integral(fa)
        if pa.shape == fa.shape and not ids_only:
            forward_varies = not np.array_equal(fa, fb)
            disagreement = float(np.max(np.abs(pa.astype(np.float64) - fa)))
        else:
            # predict returns class ids: compare it with forward's classes, since an
            # untrained net may rightly give every input the same class.
            ca, cb = predicted_classes(fa, half), predicted_classes(fb, half)
            forward_varies = not np.array_equal(ca, cb)
            ids = pa.reshape(-1)
            disagreement = float(np.mean(ids != ca)) if len(ids) == len(ca) else 0.0
    return EvalCheck(
        inputs_compared=2 * half,
        predict_varies=not np.array_equal(pa, pb),
        forward_varies=forward_varies,
        forward_checked=forward is not None,
        max_disagreement=disagreement,
    )


def _integral(values: np.ndarray) -> bool:
    numbers = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


def task_loss(output: np.ndarray, y: np.ndarray, n: int) -> float:
    """Cross-entropy of the true class, read off the output as probabilities or scores."""
    rows = _samples_first(output.astype(np.float64), n)
    labels = _samples_first(y.astype(np.float64), n)
    if rows.shape[1] == 1:
        p = np.clip(rows[:, 0], 1e-12, 1 - 1e-12)
        t = labels[:, 0]
        return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
    if not (rows.min() >= 0 and np.allclose(rows.sum(axis=1), 1, atol=1e-4)):
        shifted = np.exp(rows - rows.max(axis=1, keepdims=True))
        rows = shifted / shifted.sum(axis=1, keepdims=True)
    ids = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0].astype(np.int64)
    ids = np.clip(ids, 0, rows.shape[1] - 1)
    return float(-np.mean(np.log(np.clip(rows[np.arange(len(rows)), ids], 1e-12, None))))


def overfit_trial(
    params: Params,
    step: Callable[[Any, Any], Any],
    measure: Callable[[Any, Any, int], float],
    x: np.ndarray,
    y: np.ndarray,
    n: int,
    layout: str,
    max_steps: int,
    max_seconds: float,
    output: Callable[[Any], np.ndarray] | None = None,
) -> OverfitTrial:
    """The user's step repeated on a tiny batch, then every weight written back."""
    if n > 32:
        index = np.arange(OVERFIT_EXAMPLES)
        x, y, n = _take(x, index, n, layout), _take(y, index, n, layout), OVERFIT_EXAMPLES
    snapshot = _Snapshot(params)
    started = time.monotonic()
    steps = 0
    try:
        before = measure(x, y, n)
        while steps < max_steps and time.monotonic() - started < max_seconds:
            step(x, y)
            steps += 1
        after = measure(x, y, n)
        agreement = unit_agreement(output(x), n) if output is not None else None
    finally:
        snapshot.restore()
    return OverfitTrial(
        n, steps, round(time.monotonic() - started, 3), "loss", before, after, agreement
    )


def unit_agreement(output: np.ndarray, n: int) -> float | None:
    """Mean correlation, across samples, between the output units after training.

    Units trained towards one shared target (class ids broadcast against K
    outputs) move together: near +1. Units trained on one-hot targets move
    apart (-1 for two classes).
    """
    rows = _samples_first(np.asarray(output, dtype=np.float64), n)
    if rows.shape[1] < 2 or rows.shape[0] < 3:
        return None
    varying = rows[:, rows.std(axis=0) > 1e-9]
    if varying.shape[1] < 2:
        return None
    corr = np.corrcoef(varying, rowvar=False)
    pairs = corr[np.triu_indices_from(corr, k=1)]
    return float(np.mean(pairs)) if np.all(np.isfinite(pairs)) else None


# ---------------------------------------------------------------- public API


def run_checks(
    params: Params,
    x: Any,
    y: Any,
    *,
    forward: Callable[[Any], Any] | None = None,
    loss: Callable[[Any, Any], float] | None = None,
    gradients: Callable[[Any, Any], Any] | None = None,
    step: Callable[[Any, Any], Any] | None = None,
    predict: Callable[[Any], Any] | None = None,
    overfit_steps: int = OVERFIT_STEPS,
    overfit_seconds: float = OVERFIT_SECONDS,
    trial_seconds: float | None = None,
) -> Checked:
    """The checks of `nndoctor.numpy.check` on one sample batch: what they measured,
    and the network for the fix trials (None when they cannot run). Call it inside
    `checking()`: the user's functions it calls must not count as training steps."""

    for name, fn in [
        ("forward", forward),
        ("loss", loss),
        ("gradients", gradients),
        ("step", step),
        ("predict", predict),
    ]:
        if fn is not None and not callable(fn):
            raise UsageError(f"{name} must be a function; got {type(fn).__name__}.")
    live = _param_dict(params)
    xs, ys = _as_array("x", x), _as_array("y", y)
    n, layout = _sample_count(xs, ys)
    events: list[Any] = [RunInfo("numpy", None, None, 0.0, False)]
    events.append(DataProfile(layout, n, profile_inputs(xs, layout), profile_labels(ys, n)))
    n_features = int(np.prod(xs.shape)) // n
    events.extend(profile_init(live, n_features))
    outer = _session.current()
    experiments = outer.experiments if outer is not None else True
    if trial_seconds is None:
        trial_seconds = outer.trial_seconds if outer is not None else TRIAL_SECONDS
    started = time.monotonic()
    # The user's loss may take log(0) at perturbed weights: that is measured, not shown.
    with np.errstate(all="ignore"):
        net = _run_checks(
            params,
            xs,
            ys,
            n,
            layout,
            events,
            experiments,
            forward,
            loss,
            gradients,
            step,
            predict,
            overfit_steps,
            overfit_seconds,
        )
    return Checked(events, net, trial_seconds, outer, experiments, started)


# check() calls the user's functions; a Monitor.record inside them (next to
# the user's own print) must not count those calls as training steps.
_checking = 0


@contextmanager
def checking() -> Iterator[None]:
    """While `check` calls the user's functions (checks and fix trials)."""
    global _checking
    _checking += 1
    try:
        yield
    finally:
        _checking -= 1


@dataclass(frozen=True)
class Net:
    """The user's network as `check` was given it: what the fix trials train."""

    params: Params
    x: np.ndarray
    y: np.ndarray
    n: int
    layout: str  # "rows": samples along axis 0; "columns": along the last axis
    forward: Callable[[Any], Any]
    loss: Callable[[Any, Any], float] | None
    gradients: Callable[[Any, Any], Any] | None
    step: Callable[[Any, Any], Any]
    init: tuple[LayerInit, ...]

    def output(self, x: np.ndarray) -> np.ndarray:
        return _output_array("forward", _call("forward", self.forward, x))


@dataclass
class Checked:
    """What `run_checks` measured, and what the engine needs for the fix trials."""

    events: list[Any]  # the first is the RunInfo, its duration set when the trials end
    net: Net | None  # None: no step or forward given, or experiments are off
    trial_seconds: float
    outer: Any  # the session of `nndoctor run`, if any
    experiments: bool
    started: float  # time.monotonic() when the checks began


def _run_checks(
    params: Params,
    xs: np.ndarray,
    ys: np.ndarray,
    n: int,
    layout: str,
    events: list[Any],
    experiments: bool,
    forward: Any,
    loss: Any,
    gradients: Any,
    step: Any,
    predict: Any,
    overfit_steps: int,
    overfit_seconds: float,
) -> Net | None:
    def run(name: str, measure: Callable[[], Any]) -> None:
        try:
            result = measure()
        except (UsageError, _session.StopTraining):
            raise
        except Exception as error:  # noqa: BLE001 - a failed probe must not stop the check
            events.append(InternalError(f"numpy.{name}", f"{type(error).__name__}: {error}"))
            return
        if result is not None:
            events.append(result)

    saturated = False
    if forward is not None:
        output = _output_array("forward", _call("forward", forward, xs))
        bad_loss = loss is not None and not math.isfinite(float(_call("loss", loss, output, ys)))
        saturated = output_saturated(output, n) or bad_loss
        run(
            "output",
            lambda: profile_output(
                output,
                n,
                saturated,
                _loss_ratio(output, ys, n, loss),
                _finite_at_limits(output, ys, n, loss),
            ),
        )
    if gradients is not None:
        snapshot = _Snapshot(params)
        _call("gradients", gradients, xs, ys)
        changed, _, _ = snapshot.changed()
        snapshot.restore()
        events.append(MutationCheck(tuple(changed)))
    # At weights where the output is saturated, finite differences, input
    # dependence and the trials all read ~0: the checks then run with every
    # weight matrix at std 1/sqrt(fan_in) (what they test does not depend on
    # the weights' values), and every weight is written back at the end.
    everything = _Snapshot(params)
    try:
        if saturated:
            rescale(params, [e for e in events if isinstance(e, LayerInit)])
        _active_checks(
            params,
            xs,
            ys,
            n,
            layout,
            run,
            events,
            forward,
            loss,
            gradients,
            step,
            predict,
            overfit_steps,
            overfit_seconds,
            experiments,
        )
    finally:
        everything.restore()
    if experiments and step is not None and forward is not None:
        inits = tuple(e for e in events if isinstance(e, LayerInit))
        return Net(params, xs, ys, n, layout, forward, loss, gradients, step, inits)
    return None


def _active_checks(
    params: Params,
    xs: np.ndarray,
    ys: np.ndarray,
    n: int,
    layout: str,
    run: Callable[[str, Callable[[], Any]], None],
    events: list[Any],
    forward: Any,
    loss: Any,
    gradients: Any,
    step: Any,
    predict: Any,
    overfit_steps: int,
    overfit_seconds: float,
    experiments: bool,
) -> None:
    grads = None
    if gradients is not None:
        raw = _call("gradients", gradients, xs, ys)
        grads, unmatched, loose = match_gradients(_param_dict(params), raw)
        if forward is not None and loss is not None:

            def loss_at() -> float:
                return float(_call("loss", loss, _call("forward", forward, xs), ys))

            run(
                "gradient-check",
                lambda: gradient_check(params, loss_at, grads, unmatched, loose, n),
            )
        else:
            live = _param_dict(params)
            events.append(
                GradCheck(
                    (),
                    None,
                    n,
                    tuple(k for k in live if k not in grads),
                    tuple(unmatched),
                    tuple(loose),
                )
            )
    if step is not None:
        run("update-check", lambda: _update_check(params, step, xs, ys, grads))
    if predict is not None:
        run("eval-check", lambda: eval_check(forward, predict, xs, n, layout))
    if step is not None and forward is not None and experiments:

        def measure(bx: Any, by: Any, m: int) -> float:
            out = _output_array("forward", _call("forward", forward, bx))
            return float(_call("loss", loss, out, by)) if loss else task_loss(out, by, m)

        run(
            "overfit",
            lambda: overfit_trial(
                params,
                step,
                measure,
                xs,
                ys,
                n,
                layout,
                overfit_steps,
                overfit_seconds,
                lambda bx: _output_array("forward", _call("forward", forward, bx)),
            ),
        )


def _update_check(
    params: Params,
    step: Callable[[Any, Any], Any],
    x: Any,
    y: Any,
    grads: Mapping[str, np.ndarray] | None,
) -> UpdateCheck:
    snapshot = _Snapshot(params)
    raised = None
    try:
        step(x, y)
    except _session.StopTraining:
        raise
    except Exception as error:  # noqa: BLE001 - a broken step is a finding, not a crash
        raised = f"{type(error).__name__}: {error}"
    changed, same, ratios = snapshot.changed()
    snapshot.restore()
    norms = {
        k: float(np.linalg.norm(g))
        for k, g in (grads or {}).items()
        if np.ndim(g) and np.all(np.isfinite(g))
    }
    return UpdateCheck(
        changed=tuple(changed),
        unchanged=tuple(same),
        update_ratios=tuple(NamedValue(k, v) for k, v in ratios.items()),
        grad_norms=tuple(NamedValue(k, v) for k, v in norms.items()),
        step_raised=raised,
    )


def _ratio_keys(now: Mapping[str, np.ndarray], previous: Mapping[str, np.ndarray]) -> list[str]:
    """The arrays whose update ratio means something: the weight matrices (as the torch
    probe), else every array that was not zero. A bias starting at 0 has no size
    to compare its update with, and biases are not what a learning rate is tuned on."""
    same = [k for k, v in now.items() if k in previous and v.shape == previous[k].shape]
    matrices = [k for k in same if now[k].ndim >= 2 and min(now[k].shape) > 1]
    return matrices or [k for k in same if np.linalg.norm(previous[k]) > 0]


class Monitor:
    """Records your training loop, one line per step, for the trace rules.

    Args:
        params: your live weights (dict, list, or a function returning one),
            to see whether they change and by how much; optional.

    Example:
        >>> monitor = nnd.Monitor(params=lambda: parameters)
        >>> for i in range(iterations):
        ...     ...  # your forward, backward, update
        ...     monitor.record(loss=cost, output=A2, y=Y)
        >>> print(monitor.report())    # a notebook renders `monitor.report()` itself
    """

    def __init__(self, params: Params | None = None) -> None:
        if params is not None:
            _param_dict(params)  # fail now, at the line the user wrote, if params is unusable
        self.params = params
        self._previous: dict[str, np.ndarray] | None = None
        self._outer = _session.current()
        self._own = _session.Session("numpy") if self._outer is None else None
        self._session = self._outer or self._own
        self._step = 0
        self._started = time.monotonic()

    def record(
        self,
        loss: float | None = None,
        *,
        output: Any = None,
        y: Any = None,
        metric: float | None = None,
        grads: Any = None,
    ) -> None:
        """Record one training step. Never raises from inside your loop."""
        if _checking:
            return
        try:
            record = self._measure(loss, output, y, metric, grads)
        except Exception as error:  # noqa: BLE001 - never break the user's training
            self._session.emit(
                InternalError("numpy.Monitor.record", f"{type(error).__name__}: {error}")
            )
            record = None
        if record is not None:
            self._session.emit(record)
        self._step += 1
        self._session.count_step()

    def _measure(self, loss: Any, output: Any, y: Any, metric: Any, grads: Any) -> StepRecord:
        loss_value = None if loss is None else float(np.asarray(loss).mean())
        pred_counts = label_counts = None
        ys = None if y is None else np.asarray(y)
        labels = None
        if ys is not None and ys.size:
            n = ys.shape[0] if ys.ndim == 1 else _output_samples(ys, None)
            labels = profile_labels(ys, n)
            label_counts = labels.counts or None
        # Real-valued targets are a regression: its output has no predicted class (a
        # price above 0.5 is not "class 1").
        if output is not None and (labels is None or labels.encoding != "continuous"):
            out = np.asarray(output, dtype=np.float64)
            n = _output_samples(out, ys)
            pred_counts = tuple(int(c) for c in np.bincount(predicted_classes(out, n), minlength=2))
        changed, ratios, grad_norms = None, [], []
        if self.params is not None:
            now = _param_dict(self.params)
            if self._previous is not None:
                changed = any(
                    k not in self._previous or not np.array_equal(v, self._previous[k])
                    for k, v in now.items()
                )
                ratios = [
                    NamedValue(
                        k,
                        float(
                            np.linalg.norm(now[k] - self._previous[k])
                            / max(np.linalg.norm(self._previous[k]), 1e-12)
                        ),
                    )
                    for k in _ratio_keys(now, self._previous)
                ]
            self._previous = {k: v.copy() for k, v in now.items()}
        if grads is not None:
            items = grads.items() if isinstance(grads, Mapping) else enumerate(grads)
            grad_norms = [NamedValue(str(k), float(np.linalg.norm(g))) for k, g in items]
        nonfinite = loss_value is not None and not math.isfinite(loss_value)
        return StepRecord(
            self._step,
            loss_value,
            None if metric is None else float(metric),
            pred_counts,
            label_counts,
            tuple(grad_norms),
            tuple(ratios),
            changed,
            nonfinite,
        )


def _output_samples(out: np.ndarray, y: np.ndarray | None) -> int:
    if out.ndim < 2:
        return out.shape[0] if out.ndim else 1
    if y is not None and y.ndim == 2 and y.shape == out.shape:
        if 1 in y.shape:
            return max(y.shape)
        # One-hot labels shaped like the output: the class axis sums to 1.
        for axis in (1, 0):
            if np.allclose(np.asarray(y, dtype=np.float64).sum(axis=axis), 1.0):
                return y.shape[1 - axis]
    if y is not None and y.ndim >= 1:
        n = y.shape[0] if y.ndim == 1 else None
        if n is None:
            n = y.shape[0] if y.shape[0] in out.shape and y.shape[0] != y.shape[-1] else y.shape[-1]
        if out.shape[0] == n:
            return n
        if out.shape[1] == n:
            return n
    # Without labels, the longer axis is the samples (classes are few).
    return max(out.shape)
