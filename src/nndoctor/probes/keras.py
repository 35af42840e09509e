"""Keras 3 probe: reads `compile`/`fit` and watches training through a callback.

`nndoctor run` installs `KerasProbe` when the script imports keras: it wraps
`keras.Model.compile` and `keras.Model.fit` (restored afterwards) to read the
configuration and a sample of the data before the first step, and adds a
`DiagnosisCallback` to every `fit`. The callback is also the public one-line
form (`nndoctor.keras.DiagnosisCallback`).

Keras callbacks see no gradients and `fit` compiles its train step, so on
sampled steps the callback runs the model once more on a small sample batch,
in inference mode and outside the compiled step, with the backend's own
autodiff (tf.GradientTape, torch.autograd): per-layer gradient norms,
activation statistics and predictions. It never sets `run_eagerly`, never
touches the optimizer, the RNG, dropout or batch-norm state; weights are only
read. Any failure inside becomes an internal-error observation and training
goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import math
import random
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from nndoctor import session as _session
from nndoctor.findings import Location
from nndoctor.observations import (
    DataProfile,
    HeldOut,
    HeldOutSplit,
    InternalError,
    LayerInit,
    LayerSpec,
    ModelSpec,
    NamedValue,
    StepRecord,
)
from nndoctor.probes import KERAS2_MESSAGE
from nndoctor.probes.numpy import profile_inputs, profile_labels, profile_output

SAMPLE_ROWS = 256  # rows of the fit data profiled, evenly spaced: sorted data still shows all
# Whole-number targets with ids this large are a score to regress, not classes to count
# (ImageNet-21k, the largest common label set, has 21,841 classes).
MAX_CLASSES = 30_000
PROBE_ROWS = 64  # rows of the sample batch the gradients, activations and predictions use
EARLY_STEPS = 5  # the first steps decide most faults: each of them is measured
# Later steps are measured while the measurements stay under 3% of the time
# spent in the train step (DESIGN.md: monitoring adds at most 5% to a step).
BUDGET = 0.03
SNAPSHOT_PARAMS = 5_000_000  # weights at the first fit kept for fix trials up to this size
SATURATION_MARGIN = 0.01  # TAXONOMY: within 1% of the limits
RECTIFIERS = {"relu", "relu6", "leaky_relu", "elu", "gelu", "silu"}  # as the torch probe
SQUASHING = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
BACKENDS = ("tensorflow", "torch", "jax")  # the backends whose gradients the probe can read
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "Softmax": "softmax"}
# Keras loss function -> (ModelSpec.loss, the label format it reads).
LOSSES: dict[str, tuple[str, str | None]] = {
    "categorical_crossentropy": ("cross_entropy", "one-hot"),
    "categorical_focal_crossentropy": ("cross_entropy", "one-hot"),
    "sparse_categorical_crossentropy": ("cross_entropy", "ids"),
    "binary_crossentropy": ("bce", None),
    "binary_focal_crossentropy": ("bce", None),
    "mean_squared_error": ("mse", None),
    "mean_absolute_error": ("l1", None),
    "huber": ("l1", None),
    "log_cosh": ("mse", None),
}
CLASSIFICATION = {"cross_entropy", "bce", "bce_logits"}

_OURS = str(Path(__file__).resolve().parent.parent)
_SKIPPED = (_OURS, str(Path(keras.__file__).resolve().parent), "<")
# Filled while `nndoctor run` patches keras: where the user built each layer and compiled.
_layer_sites: weakref.WeakKeyDictionary[Any, Location] = weakref.WeakKeyDictionary()
_compile_sites: weakref.WeakKeyDictionary[Any, Location] = weakref.WeakKeyDictionary()


def user_location() -> Location | None:
    """The innermost frame of the user's code (not keras, tensorflow, torch, nndoctor, stdlib)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_SKIPPED) and "/lib/python" not in name:
            return Location(name, frame.f_lineno)
        frame = frame.f_back
    return None


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class LossInfo:
    """What the compiled loss is and what it expects."""

    loss: str  # ModelSpec vocabulary: cross_entropy, bce, bce_logits, mse, l1, or the Keras name
    expects: str | None  # "logits", "probabilities", "values"
    label_format: str | None  # "ids", "one-hot"
    fn: Callable[..., Any] | None  # y_true, y_pred -> per-sample or mean loss


def describe_loss(loss: Any) -> LossInfo | None:
    """The compiled loss (a name, a Loss object or a function), or None for several outputs."""
    if loss is None or isinstance(loss, (dict, list, tuple)):
        return None
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    inner = getattr(fn, "fn", fn)  # LossFunctionWrapper classes hold the function
    name = getattr(inner, "__name__", type(fn).__name__)
    config = fn.get_config() if isinstance(fn, keras.losses.Loss) else {}
    from_logits = bool(config.get("from_logits", False))
    spec_loss, label_format = LOSSES.get(name, (name, None))
    if spec_loss in ("cross_entropy", "bce"):
        expects = "logits" if from_logits else "probabilities"
        spec_loss = "bce_logits" if spec_loss == "bce" and from_logits else spec_loss
    else:
        expects = "values" if name in LOSSES else None
    return LossInfo(spec_loss, expects, label_format, fn if callable(fn) else None)


def _activation(layer: Any) -> str | None:
    kind = type(layer).__name__
    if kind in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[kind]
    fn = getattr(layer, "activation", None)
    return getattr(fn, "__name__", None) if callable(fn) else None


def output_layer(model: Any) -> tuple[Any, str] | None:
    """The layer that makes the model's single output, and its activation.

    Layers without weights or activation (Dropout, Flatten, Reshape) pass the
    activation of the layer before them through. None for subclassed models,
    whose layer order says nothing about the output.
    """
    if isinstance(model, keras.Sequential):
        layers = list(model.layers)
        previous: Callable[[Any], Any] = lambda layer: (  # noqa: E731
            layers[layers.index(layer) - 1] if layers.index(layer) > 0 else None
        )
        layer = layers[-1] if layers else None
    else:
        try:
            outputs = model.outputs
        except (AttributeError, ValueError):
            return None
        if len(outputs) != 1:
            return None
        layer = outputs[0]._keras_history.operation
        previous = lambda layer: layer.input._keras_history.operation  # noqa: E731
    while layer is not None:
        if isinstance(layer, keras.Model):
            return output_layer(layer)
        activation = _activation(layer)
        if activation is not None:
            return layer, activation
        if layer.weights:
            return layer, "linear"  # BatchNormalization and the like: no squashing
        try:
            layer = previous(layer)
        except (AttributeError, ValueError, IndexError):
            return None  # reached the input, or a layer with several inputs
    return None


def _flat_layers(model: Any) -> Iterator[Any]:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


def _output_width(model: Any, last: Any) -> int | None:
    try:
        return int(model.outputs[0].shape[-1])
    except (AttributeError, ValueError, IndexError, TypeError):
        units = getattr(last, "units", None) or getattr(last, "filters", None)
        return int(units) if units else None


def _learning_rate(optimizer: Any) -> float | None:
    try:
        return float(ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:  # noqa: BLE001 - a custom optimizer without a readable rate
        return None


def model_spec(
    model: Any, output: np.ndarray | None = None, labels: np.ndarray | None = None
) -> ModelSpec:
    """The model as compiled; `output`/`labels`: the sample batch, once it ran."""
    loss = describe_loss(getattr(model, "loss", None))
    found = output_layer(model)
    last, activation = found if found else (None, None)
    if activation is None and output is not None:
        activation = profile_output(output.reshape(len(output), -1), len(output)).activation
    width = int(output.shape[-1]) if output is not None and output.ndim > 1 else None
    if output is not None and output.ndim == 1:
        width = 1
    output_shape = tuple(int(s) for s in output.shape) if output is not None else ()
    target_shape: tuple[int, ...] = ()
    if labels is not None and output is not None:
        target_shape = tuple(int(s) for s in labels.shape)
        # Keras squeezes or expands a trailing axis of 1 before a regression loss.
        if target_shape + (1,) == output_shape or target_shape == output_shape + (1,):
            target_shape = output_shape
    optimizer = getattr(model, "optimizer", None)
    site = _compile_sites.get(model)
    return ModelSpec(
        name=model.name,
        n_params=int(model.count_params()) if model.built else 0,
        output_width=width or _output_width(model, last),
        output_activation=activation,
        loss=loss.loss if loss else None,
        loss_expects=loss.expects if loss else None,
        optimizer=type(optimizer).__name__ if optimizer is not None else None,
        learning_rate=_learning_rate(optimizer) if optimizer is not None else None,
        layers=tuple(
            LayerSpec(layer.name, type(layer).__name__, _layer_sites.get(layer))
            for layer in _flat_layers(model)
        ),
        output_shape=output_shape,
        target_shape=target_shape,
        loss_location=site,
        optimizer_location=site,
        last_layer=type(last).__name__ if last is not None else None,
        optimizer_holds_model=None,
        label_format=loss.label_format if loss else None,
    )


# ---------------------------------------------------------------- data


def _rows(data: Any) -> int | None:
    first = keras.tree.flatten(data)[0] if data is not None else None
    shape = getattr(first, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) else None


def _take(data: Any, index: np.ndarray) -> Any:
    """The rows `index` of an array, or of each array in a list/tuple/dict, as NumPy."""

    def rows(a: Any) -> np.ndarray:
        if isinstance(a, np.ndarray):
            return a[index]
        if hasattr(a, "iloc"):  # pandas: a[index] would select columns
            return a.iloc[index].to_numpy()
        return np.asarray(ops.convert_to_numpy(ops.take(a, index, axis=0)))

    return keras.tree.map_structure(rows, data)


@contextlib.contextmanager
def _rng_kept() -> Iterator[None]:
    """The user's own loader code may draw random numbers: the global RNGs are put back."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def sample_of(x: Any, y: Any) -> tuple[Any, Any] | None:
    """A few rows of the training data without consuming the user's iterator, or None.

    Arrays and tensors (also in lists and dicts) are sliced; a `keras.utils.PyDataset`
    gives its first batch by index. tf.data pipelines and Python generators are
    not read: iterating them would change what the training sees.
    """
    if isinstance(x, keras.utils.PyDataset):
        with _rng_kept():
            batch = x[0]
        x, y = batch[0], batch[1] if len(batch) > 1 else None
    n = _rows(x)
    if (
        n is None
        or y is None
        or _rows(y) != n
        or not all(
            hasattr(a, "__getitem__") and hasattr(a, "shape") for a in keras.tree.flatten([x, y])
        )
    ):
        return None
    index = np.unique(np.linspace(0, n - 1, min(n, SAMPLE_ROWS)).astype(np.int64))
    return _take(x, index), _take(y, index)


def data_profile(x: np.ndarray, labels: np.ndarray | None) -> DataProfile:
    return DataProfile(
        "rows",
        int(len(x)),
        profile_inputs(x.astype(np.float64), "rows"),
        profile_labels(labels.astype(np.float64), len(labels)) if labels is not None else None,
    )


def _label_counts(y: np.ndarray) -> tuple[int, ...] | None:
    if y.ndim == 2 and y.shape[1] > 1:
        return tuple(int(c) for c in np.bincount(y.argmax(axis=1), minlength=y.shape[1]))
    ids = y.reshape(-1)
    if ids.size == 0 or not np.all(ids == np.round(ids)) or ids.min() < 0:
        return None
    return tuple(int(c) for c in np.bincount(ids.astype(np.int64), minlength=2))


# ---------------------------------------------------------------- measurements


def _no_grad() -> Any:
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def _layer_name(variable: Any) -> str:
    parts = variable.path.split("/")
    return parts[-2] if len(parts) > 1 else variable.path


def _units(value: Any) -> Any:
    """Activations as (values, units): channels last, as Keras lays them out."""
    return ops.reshape(value, (-1, value.shape[-1]))


def _dead_fraction(value: Any) -> Any:
    """Share of units at or below 0 for every sample (and position) of the batch."""
    return ops.mean(ops.cast(ops.all(_units(value) <= 0, axis=0), "float32"))


def _saturated_fraction(value: Any, low: float, high: float) -> Any:
    """Share of units within 1% of a limit for most of the batch."""
    margin = SATURATION_MARGIN * (high - low)
    units = _units(value)
    pinned = ops.mean(
        ops.cast(ops.logical_or(units <= low + margin, units >= high - margin), "float32"), axis=0
    )
    return ops.mean(ops.cast(pinned > 0.5, "float32"))


def _same_rank(y: Any, output: Any) -> Any:
    """Labels (n,) against outputs (n, 1), or the reverse, as Keras' compiled loss aligns them."""
    if len(y.shape) == len(output.shape) - 1 and output.shape[-1] == 1:
        return ops.expand_dims(y, -1)
    if len(y.shape) == len(output.shape) + 1 and y.shape[-1] == 1:
        return ops.squeeze(y, -1)
    return y


class _Measure:
    """One forward and backward pass on the sample batch, outside the compiled train step."""

    def __init__(self, model: Any, x: Any, y: np.ndarray | None, loss: LossInfo | None) -> None:
        self.model, self.x, self.y, self.labels = model, x, y, y
        self.loss_fn = loss.fn if loss is not None and y is not None else None
        self.kernels = [v for v in model.trainable_weights if len(v.shape) >= 2]
        found = output_layer(model)
        out_layer, activation = found if found else (None, None)
        self.classifier = loss is not None and loss.loss in CLASSIFICATION
        # One output unit: a probability is class 1 above 0.5, a raw score above 0.
        self.threshold = 0.5 if activation in ("sigmoid", "softmax", "hard_sigmoid") else 0.0
        self.watched = [
            (layer, _activation(layer))
            for layer in _flat_layers(model)
            if layer is not out_layer
            and (_activation(layer) in RECTIFIERS or _activation(layer) in SQUASHING)
        ]
        self.forward = self._extractor()
        self._compute: Callable[[Any, Any], tuple[list[Any], list[Any], Any]] | None = None

    def _extractor(self) -> Callable[[Any], list[Any]]:
        """The hidden activations and the output in one call, when the graph is known."""
        model = self.net = self.model
        try:
            inputs = model.inputs
            outputs = [layer.output for layer, _ in self.watched] + list(model.outputs)
        except (AttributeError, ValueError):
            self.watched = []
            return lambda x: [model(x, training=False)]
        if not self.watched:
            return lambda x: [model(x, training=False)]
        # An explicit name: an automatic one would shift the names of the user's next models.
        extractor = self.net = keras.Model(
            inputs[0] if len(inputs) == 1 else inputs, outputs, name="nndoctor_probe"
        )
        return lambda x: list(extractor(x, training=False))

    def run(self) -> tuple[list[NamedValue], list[NamedValue], list[NamedValue], np.ndarray]:
        """Gradient norm per kernel, dead and saturated fractions per layer, the output."""
        if self._compute is None:
            self._compute = self._compiled()
        grad_norms, fractions, output = self._compute(self.x, self.y)
        norms = [
            NamedValue(_layer_name(v), float(g))
            for v, g in zip(self.kernels, grad_norms, strict=False)
            if g is not None
        ]
        dead, saturated = [], []
        for (layer, activation), value in zip(self.watched, fractions, strict=False):
            into = dead if activation in RECTIFIERS else saturated
            into.append(NamedValue(layer.name, float(value)))
        return norms, dead, saturated, np.asarray(ops.convert_to_numpy(output), dtype=np.float64)

    def _compiled(self) -> Callable[[Any, Any], tuple[list[Any], list[Any], Any]]:
        """The measurement as one function: a tf.function on TensorFlow (traced once)."""
        if keras.backend.backend() != "tensorflow":
            return self._measure
        import tensorflow as tf

        self.x = keras.tree.map_structure(tf.convert_to_tensor, self.x)
        self.y = tf.convert_to_tensor(self.y) if self.y is not None else None
        return tf.function(self._measure)

    def _measure(self, x: Any, y: Any) -> tuple[list[Any], list[Any], Any]:
        outputs, grads = self._forward_backward(x, y)
        with _no_grad():
            norms = [ops.sqrt(ops.sum(ops.square(g))) if g is not None else None for g in grads]
            fractions = [
                _dead_fraction(value)
                if activation in RECTIFIERS
                else _saturated_fraction(value, *SQUASHING[activation or "sigmoid"])
                for (_, activation), value in zip(self.watched, outputs, strict=False)
            ]
        return norms, fractions, outputs[-1]

    def _forward_backward(self, x: Any, y: Any) -> tuple[list[Any], list[Any]]:
        backend = keras.backend.backend()
        if self.loss_fn is None or not self.kernels or backend not in BACKENDS:
            with _no_grad():
                return self.forward(x), []
        if backend == "jax":
            return self._jax_forward_backward(x, y)
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                outputs = self.forward(x)
                loss = ops.mean(self.loss_fn(_same_rank(y, outputs[-1]), outputs[-1]))
            return outputs, tape.gradient(loss, self.kernels)
        import torch

        with torch.enable_grad():
            outputs = self.forward(x)
            loss = ops.mean(self.loss_fn(_same_rank(y, outputs[-1]), outputs[-1]))
            grads = torch.autograd.grad(loss, [v.value for v in self.kernels], allow_unused=True)
        return [o.detach() for o in outputs], list(grads)

    def _jax_forward_backward(self, x: Any, y: Any) -> tuple[list[Any], list[Any]]:
        """JAX has no tape: differentiate a pure call of the network over its weights."""
        import jax

        net = self.net
        trainable = [v.value for v in net.trainable_variables]
        frozen = [v.value for v in net.non_trainable_variables]

        def loss_of(weights: list[Any]) -> tuple[Any, list[Any]]:
            out, _ = net.stateless_call(weights, frozen, x, training=False)
            outputs = list(out) if isinstance(out, (list, tuple)) else [out]
            return ops.mean(self.loss_fn(_same_rank(y, outputs[-1]), outputs[-1])), outputs

        (_, outputs), grads = jax.value_and_grad(loss_of, has_aux=True)(trainable)
        where = {id(v): i for i, v in enumerate(net.trainable_variables)}
        return outputs, [grads[where[id(k)]] if id(k) in where else None for k in self.kernels]


def _synced(model: Any) -> None:
    """On JAX, fit keeps the weights outside the model between epochs (its variables are
    purged to None): write the current ones back before reading them. The values are the
    same, so the next step starts from exactly where it would have."""
    if keras.backend.backend() == "jax" and hasattr(model, "jax_state_sync"):
        model.jax_state_sync()


# ---------------------------------------------------------------- the callback


class DiagnosisCallback(keras.callbacks.Callback):
    """Diagnoses the training it watches: `model.fit(..., callbacks=[DiagnosisCallback()])`.

    Reads the compiled model (layers, output activation, loss and `from_logits`,
    optimizer and learning rate) and a sample of the training data before the
    first step; records the loss and accuracy of every step; on sampled steps
    measures per-layer gradient norms, dead and saturated units, predicted
    classes and the update/weight ratio. Nothing it does changes the training.

    Args:
        sample: optional `(x, y)`, a few rows of the training data. By default the
            arrays given to `fit` are read; pass this when `fit` gets a tf.data
            pipeline or a generator, which nndoctor does not iterate.
        out: optional run folder to stream `trace.jsonl` into.

    Example:
        >>> doctor = DiagnosisCallback()
        >>> model.fit(x, y, epochs=5, callbacks=[doctor])
        >>> doctor.report()       # renders in a notebook; print() in a terminal

    Under `nndoctor run` it joins that run's diagnosis.
    """

    def __init__(self, *, sample: tuple[Any, Any] | None = None, out: str | Path | None = None):
        super().__init__()
        from nndoctor.errors import UsageError

        if sample is not None and not (isinstance(sample, (tuple, list)) and len(sample) == 2):
            raise UsageError(
                "sample must be a pair (x, y) of a few training rows; got "
                f"{type(sample).__name__}. "
                "Example: DiagnosisCallback(sample=(x_train[:256], y_train[:256]))"
            )
        outer = _session.current()
        self.session = outer or _session.Session("keras", Path(out) if out else None)
        self._given = sample
        self._batch_sizes: tuple[int, int] | None = None  # (batch size, samples per epoch)
        self._sample: tuple[Any, np.ndarray | None] | None = None
        self._measure: _Measure | None = None
        self._started = False
        self.steps = 0
        self._running: dict[str, tuple[float, int]] = {}
        self._pending: StepRecord | None = None
        self._snapshot: list[Any] = []
        self._sampled = False
        self._train_seconds = 0.0
        self._probe_seconds = 0.0
        self._batch_started = 0.0
        self._batch_begin = 0
        self._notes: set[InternalError] = set()
        self._output_sent = False
        # Fix trials start from these weights: kept unless experiments are off.
        self.keep_initial = outer.experiments if outer is not None else True
        self.initial_weights: list[np.ndarray] | None = None

    # ------------------------------------------------------------ lifecycle hooks

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._guard("on_train_begin", self._train_begin)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._running = {}

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._guard("on_train_batch_begin", self._batch_start, batch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._guard("on_train_batch_end", self._batch_end, batch, logs or {})
        try:
            self.session.count_step()  # --max-steps / --max-seconds end the run here
        except _session.StopTraining:
            self._flush()
            raise

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._guard("on_epoch_end", self._epoch_end, logs or {})

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._flush()

    # ------------------------------------------------------------ called by the fit wrapper

    def see_fit(self, model: Any, x: Any, y: Any, batch_size: Any, steps: Any, split: Any) -> None:
        """The arguments of `fit`, before it runs: the data profile is out before any step."""
        n = _rows(x)
        if n is not None and steps is None and not isinstance(x, keras.utils.PyDataset):
            n = int(math.floor(n * (1.0 - (split or 0.0))))  # Keras' own train/validation cut
            self._batch_sizes = (int(batch_size or 32), n)
        if self._sample is None:
            self._read_sample(model, (x, y))
        if split and n is not None and isinstance(y, np.ndarray):
            self._see_split(y, float(split))

    def _see_split(self, y: np.ndarray, fraction: float) -> None:
        """The class mix on each side of Keras's validation cut (the last rows)."""
        rows = y.reshape(len(y), -1)
        if rows.shape[1] > 1:
            ids = rows.argmax(axis=1)
        elif np.issubdtype(rows.dtype, np.number) and np.all(rows == np.round(rows)):
            ids = rows[:, 0].astype(np.int64)
            if ids.min() < 0 or ids.max() >= MAX_CLASSES:
                return  # whole-number regression targets, not class ids
        else:
            return
        cut = int(math.floor(len(ids) * (1.0 - fraction)))
        k = int(ids.max()) + 1
        self.session.emit(
            HeldOutSplit(
                fraction,
                tuple(int(c) for c in np.bincount(ids[:cut], minlength=k)),
                tuple(int(c) for c in np.bincount(ids[cut:], minlength=k)),
            )
        )

    def after_failed_fit(self, model: Any) -> None:
        """`fit` raised (e.g. labels of the wrong shape): record what the model outputs."""
        if self._sample is not None and model.built and not self._output_sent:
            self._emit_output(model, *self._probe_batch())

    # ------------------------------------------------------------ internals

    def _guard(self, where: str, hook: Callable[..., None], *args: Any) -> None:
        """A failing hook becomes an internal-error observation; training goes on."""
        try:
            hook(*args)
        except Exception as error:  # noqa: BLE001 - never break the user's training
            self._note(where, error)

    def _note(self, where: str, error: Exception) -> None:
        """Each distinct failure once: a hook failing at every step is one note, not 1000."""
        note = InternalError(f"keras.{where}", f"{type(error).__name__}: {error}")
        if note not in self._notes:
            self._notes.add(note)
            self.session.emit(note)

    def _read_fit_frame(self, model: Any) -> None:
        """A callback given to `fit` by hand (no wrapper called see_fit): fit's own
        arguments, read from its frame. Keras has already cut off validation_split
        there, so x holds the training rows only."""
        arguments = _fit_arguments()
        if arguments is None:
            return
        n = _rows(arguments.get("x"))
        steps = arguments.get("steps_per_epoch")
        if (
            n is not None
            and steps is None
            and not isinstance(arguments.get("x"), keras.utils.PyDataset)
        ):
            self._batch_sizes = (int(arguments.get("batch_size") or 32), n)

    def _read_sample(self, model: Any, data: tuple[Any, Any] | None = None) -> None:
        if data is None:
            arguments = _fit_arguments()
            data = None if arguments is None else (arguments.get("x"), arguments.get("y"))
        data = self._given or data
        sample = sample_of(*data) if data else None
        if sample is None:
            return
        x, y = sample
        labels = y if isinstance(y, np.ndarray) and np.issubdtype(y.dtype, np.number) else None
        self._sample = (x, labels)
        self.session.emit(data_profile(keras.tree.flatten(x)[0], labels))

    def _train_begin(self) -> None:
        model = self.model
        self.session.framework = "keras"
        if self._batch_sizes is None:
            self._read_fit_frame(model)
        if self._sample is None:
            self._read_sample(model)
        if self._started:
            return
        self._started = True
        if self.keep_initial and model.count_params() <= SNAPSHOT_PARAMS:
            self.initial_weights = model.get_weights()  # a copy: weights are only read
        self._emit_init(model)
        if self._sample is None:
            self.session.emit(model_spec(model))
            return
        x, y = self._probe_batch()
        if self._emit_output(model, x, y):
            self._measure = _Measure(model, x, y, describe_loss(getattr(model, "loss", None)))

    def _probe_batch(self) -> tuple[Any, np.ndarray | None]:
        """PROBE_ROWS rows spread over the whole sample (sorted data still shows every class)."""
        x, y = self._sample  # type: ignore[misc]
        index = np.unique(np.linspace(0, _rows(x) - 1, PROBE_ROWS).astype(np.int64))
        return _take(x, index), y[index] if y is not None else None

    def _emit_output(self, model: Any, x: Any, y: np.ndarray | None) -> bool:
        """What the model outputs on the probe rows, before any step: a forward pass only.

        False for a model with several outputs: the output checks do not apply.
        """
        self._output_sent = True
        with _no_grad():
            output = model(x, training=False)
        if keras.tree.is_nested(output):
            self.session.emit(model_spec(model))
            return False
        output = np.asarray(ops.convert_to_numpy(output), dtype=np.float64)
        self.session.emit(profile_output(output.reshape(len(output), -1), len(output)))
        self.session.emit(model_spec(model, output, y))
        return True

    def _emit_init(self, model: Any) -> None:
        kernels = [v for v in model.trainable_weights if len(v.shape) >= 2]
        for i, variable in enumerate(kernels):
            w = np.asarray(ops.convert_to_numpy(variable), dtype=np.float64)
            units = w.reshape(-1, w.shape[-1]).T  # one row per unit: Keras kernels end in units
            distinct = np.unique(units, axis=0).shape[0]
            self.session.emit(
                LayerInit(
                    name=_layer_name(variable),
                    fan_in=int(units.shape[1]),
                    std=float(w.std()),
                    identical_units=int(
                        units.shape[0] - distinct + (1 if distinct < units.shape[0] else 0)
                    ),
                    n_units=int(units.shape[0]),
                    is_last=i == len(kernels) - 1,
                )
            )

    def _batch_start(self, batch: int) -> None:
        self._batch_begin = batch
        elapsed = self._train_seconds
        self._sampled = self._measure is not None and (
            self.steps < EARLY_STEPS or self._probe_seconds <= BUDGET * elapsed
        )
        if self._sampled:
            started = time.perf_counter()
            _synced(self._measure.model)  # type: ignore[union-attr]
            with _no_grad():
                self._snapshot = [ops.copy(v) for v in self._measure.kernels]  # type: ignore[union-attr]
            self._probe_seconds += time.perf_counter() - started
        self._batch_started = time.perf_counter()

    def _batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        self._train_seconds += time.perf_counter() - self._batch_started
        loss = self._per_batch("loss", logs.get("loss"), self._batch_size(self._batch_begin, batch))
        record = StepRecord(
            step=self.steps,
            loss=loss,
            metric=None,
            pred_counts=None,
            label_counts=None,
            grad_norms=(),
            update_ratios=(),
            params_changed=None,
            nonfinite=loss is not None and not math.isfinite(loss),
        )
        if self._sampled and self._measure is not None:
            started = time.perf_counter()
            try:
                record = self._measured(record, self._measure)
            except Exception as error:  # noqa: BLE001 - measure no more; keep the loss trace
                self._measure = None
                self._note("measurement", error)
            if self.steps >= EARLY_STEPS:  # the first calls include one-off tracing
                self._probe_seconds += time.perf_counter() - started
        self._flush()
        self._pending = record
        self.steps += 1

    def _measured(self, record: StepRecord, measure: _Measure) -> StepRecord:
        """The record with this step's update ratios, gradients, activations, predictions."""
        _synced(measure.model)
        with _no_grad():
            ratios = tuple(
                NamedValue(_layer_name(v), _ratio(v, old))
                for v, old in zip(measure.kernels, self._snapshot, strict=False)
            )
        norms, dead, saturated, output = measure.run()
        classifier = measure.classifier
        return dataclasses.replace(
            record,
            pred_counts=_predicted(output, measure.threshold) if classifier else None,
            label_counts=_label_counts(measure.labels)
            if classifier and measure.labels is not None
            else None,
            grad_norms=tuple(norms),
            update_ratios=ratios,
            params_changed=any(r.value > 0 for r in ratios) if ratios else None,
            dead_fractions=tuple(dead),
            saturated_fractions=tuple(saturated),
        )

    def _epoch_end(self, logs: dict[str, Any]) -> None:
        """The epoch's accuracy, as Keras prints it, goes on the epoch's last step."""
        metric = _accuracy(logs)
        self._flush(float(logs[metric]) if metric else None)
        # validation_data / validation_split: Keras evaluates them at the epoch's end.
        val_loss, val_accuracy = logs.get("val_loss"), logs.get(f"val_{metric}")
        if val_loss is not None or (metric and val_accuracy is not None):
            self.session.emit(
                HeldOut(
                    self.steps,
                    None if val_loss is None else float(val_loss),
                    None if not metric or val_accuracy is None else float(val_accuracy),
                    None,
                )
            )

    def _batch_size(self, first: int, last: int) -> int:
        """Samples in batches first..last: the running means are weighted by them."""
        if self._batch_sizes is None:
            return last - first + 1
        size, n = self._batch_sizes
        return sum(min(size, n - i * size) for i in range(first, last + 1)) or 1

    def _per_batch(self, key: str, running: Any, size: int) -> float | None:
        """This batch's value from the epoch's running mean that Keras reports."""
        if running is None:
            return None
        mean = float(running)
        total, count = self._running.get(key, (0.0, 0))
        self._running[key] = (mean * (count + size), count + size)
        return (mean * (count + size) - total) / size

    def _flush(self, metric: float | None = None) -> None:
        if self._pending is None:
            return
        record = self._pending
        self._pending = None
        if metric is not None:
            record = dataclasses.replace(record, metric=metric)
        self.session.emit(record)


def _accuracy(logs: dict[str, Any]) -> str | None:
    return next((k for k in logs if "acc" in k and not k.startswith("val_")), None)


def _ratio(variable: Any, old: Any) -> float:
    new = ops.convert_to_tensor(variable)
    delta = ops.sqrt(ops.sum(ops.square(new - old)))
    return float(delta / ops.maximum(ops.sqrt(ops.sum(ops.square(old))), 1e-12))


def _predicted(output: np.ndarray, threshold: float) -> tuple[int, ...]:
    rows = output.reshape(len(output), -1)
    classes = rows.argmax(axis=1) if rows.shape[1] > 1 else (rows[:, 0] > threshold).astype(int)
    return tuple(int(c) for c in np.bincount(classes, minlength=max(2, rows.shape[1])))


def _fit_arguments() -> dict[str, Any] | None:
    """The locals of the running `fit` (x, y, batch_size...), read from its frame: the
    callback alone gets no data."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "fit" and "/keras/src/" in frame.f_code.co_filename:
            return dict(frame.f_locals)
        frame = frame.f_back
    return None


# ---------------------------------------------------------------- zero-code patches


class KerasProbe:
    """Wraps `keras.Model.compile`/`fit` and `keras.layers.Layer.__init__` while installed."""

    def __init__(
        self, session: _session.Session, on_torch_backend: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self.on_torch_backend = on_torch_backend
        self.patches: list[tuple[Any, str, Any]] = []
        self.callbacks: weakref.WeakKeyDictionary[Any, DiagnosisCallback] = (
            weakref.WeakKeyDictionary()
        )
        self.paused = False  # fix trials build and fit copies: the patches must not record them

    def install(self) -> KerasProbe:
        if int(keras.__version__.split(".")[0]) < 3:
            print(f"nndoctor: {KERAS2_MESSAGE}", file=sys.stderr)
            self.session.emit(InternalError("keras probe", KERAS2_MESSAGE))
            return self
        self._patch(keras.layers.Layer, "__init__", self._layer_init)
        self._patch(keras.Model, "compile", self._compile)
        self._patch(keras.Model, "fit", self._fit)
        return self

    def remove(self) -> None:
        for owner, name, original in reversed(self.patches):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self.patches = []
        for callback in list(self.callbacks.values()):
            callback._flush()

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        wrapper = make(original)
        functools.update_wrapper(wrapper, original)
        # Keras reads __init__ signatures to build layer configs: keep them exact.
        wrapper.__signature__ = inspect.signature(original)
        self.patches.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, wrapper)

    def _note(self, where: str, error: Exception) -> None:
        self.session.emit(InternalError(f"keras.{where}", f"{type(error).__name__}: {error}"))

    def _keras_runs(self) -> None:
        self.session.framework = "keras"
        if keras.backend.backend() == "torch" and self.on_torch_backend is not None:
            self.on_torch_backend()
            self.on_torch_backend = None

    def _layer_init(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def __init__(layer: Any, *args: Any, **kwargs: Any) -> None:
            original(layer, *args, **kwargs)
            if self.paused:
                return
            try:
                where = user_location()
                if where is not None and layer not in _layer_sites:
                    _layer_sites[layer] = where
            except Exception as error:  # noqa: BLE001 - never break the user's model
                self._note("layer location", error)

        return __init__

    def _compile(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(model, *args, **kwargs)
            if self.paused:
                return result
            try:
                self._keras_runs()
                where = user_location()
                if where is not None:
                    _compile_sites[model] = where
                self.session.emit(model_spec(model))
            except Exception as error:  # noqa: BLE001 - never break the user's training
                self._note("compile", error)
            return result

        return compile

    def _fit(self, original: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(original)

        def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            if self.paused:
                return original(model, *args, **kwargs)
            try:
                bound = signature.bind(model, *args, **kwargs)
                given = bound.arguments.get("callbacks")
                given = list(given) if isinstance(given, (list, tuple)) else given
                callback = self._callback(model, given)
                if isinstance(given, list) and callback not in given:
                    bound.arguments["callbacks"] = [*given, callback]
                elif given is None:
                    bound.arguments["callbacks"] = [callback]
                self._keras_runs()
                arg = bound.arguments.get
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    callback.see_fit(
                        model,
                        arg("x"),
                        arg("y"),
                        arg("batch_size"),
                        arg("steps_per_epoch"),
                        arg("validation_split"),
                    )
            except Exception as error:  # noqa: BLE001 - never break the user's training
                self._note("fit", error)
                return original(model, *args, **kwargs)
            try:
                return original(*bound.args, **bound.kwargs)
            except Exception:
                callback._guard("after_failed_fit", callback.after_failed_fit, model)
                raise
            finally:
                callback._flush()

        return fit

    def _callback(self, model: Any, given: Any) -> DiagnosisCallback:
        for callback in given if isinstance(given, list) else []:
            if isinstance(callback, DiagnosisCallback):
                # The user's own callback watches this model: the engine's trials clone it.
                self.callbacks[model] = callback
                return callback
        if model not in self.callbacks:
            self.callbacks[model] = DiagnosisCallback()
            self.callbacks[model].keep_initial = self.session.experiments
        return self.callbacks[model]
