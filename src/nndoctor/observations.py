"""Framework-neutral observations: what probes measured, what rules read.

Every observation is a frozen dataclass of plain values, so a run folder's
`trace.jsonl` can hold them as JSON lines (no pickle) and `nndoctor report`
can rebuild exactly the observations the live run had.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from nndoctor.findings import Location

Framework = Literal["torch", "keras", "numpy"]  # report.json's "framework" (schema.json)


@dataclass(frozen=True)
class NamedValue:
    """A number that belongs to one parameter array or layer."""

    name: str
    value: float


@dataclass(frozen=True)
class ArrayStats:
    """A profile of the inputs, features along the last axis of a row layout."""

    shape: tuple[int, ...]
    mean: float
    std: float
    min: float
    max: float
    nonfinite: int
    feature_mean_abs_max: float
    feature_std_min: float
    feature_std_max: float
    constant_features: int


@dataclass(frozen=True)
class LabelStats:
    """A profile of the labels as the user passes them."""

    shape: tuple[int, ...]
    encoding: str  # "ids", "one-hot", "binary", "multi-hot", "continuous"
    n_classes: int
    min: float
    max: float
    counts: tuple[int, ...]
    nonfinite: int
    # The trivial regressors' losses on these targets: predicting each output
    # column's mean (its variance, the MSE baseline) or median (the L1 baseline).
    mean: float | None = None
    std: float | None = None
    column_variance: float | None = None  # mean over output columns
    column_abs_deviation: float | None = None  # mean |y - column median|, over columns


@dataclass(frozen=True)
class DataProfile:
    layout: str  # "rows" (one sample per row) or "columns" (one sample per column)
    n_samples: int
    inputs: ArrayStats
    labels: LabelStats | None


@dataclass(frozen=True)
class OutputProfile:
    """What the model outputs on the sample batch."""

    width: int
    min: float
    max: float
    rows_sum_to_one: bool
    activation: str  # inferred: "softmax", "sigmoid", "linear"
    pred_counts: tuple[int, ...]
    nonfinite: int
    # Saturated at the user's weights: the active checks then ran with every
    # weight matrix rescaled to std 1/sqrt(fan_in).
    saturated: bool = False
    # NumPy, class-id labels: the user's loss over the cross-entropy of the true
    # class on the same outputs. 1 when the loss reads the ids as classes.
    loss_over_class_ce: float | None = None
    # NumPy, probability outputs: the user's loss on perfect 0/1 predictions is finite.
    # False when it evaluates log(0) unguarded (0 * log(0) is NaN): a loss that turns NaN
    # once a probability saturates.
    loss_finite_at_limits: bool | None = None


@dataclass(frozen=True)
class LayerInit:
    """Scale of one weight array at the time of the check."""

    name: str
    fan_in: int
    std: float
    identical_units: int
    n_units: int
    is_last: bool


@dataclass(frozen=True)
class GradEntry:
    index: tuple[int, ...]
    analytic: float
    numeric: float


@dataclass(frozen=True)
class ParamGradCheck:
    name: str
    rel_error: float
    checked: int
    flat_fraction: float  # entries where both gradients are ~0 (saturated or dead units)
    worst: tuple[GradEntry, ...]


@dataclass(frozen=True)
class GradCheck:
    """Finite-difference check of the user's gradients, float64 central differences."""

    params: tuple[ParamGradCheck, ...]
    scale: float | None  # analytic = scale * numeric for every array, when that holds
    batch_size: int
    missing: tuple[str, ...]  # parameters the gradient function returned nothing for
    unmatched_keys: tuple[str, ...]  # gradient keys that name no parameter
    key_pairs: tuple[tuple[str, str], ...]  # (parameter, gradient key) matched loosely


@dataclass(frozen=True)
class UpdateCheck:
    """One call of the user's training step on the sample batch."""

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    update_ratios: tuple[NamedValue, ...]
    grad_norms: tuple[NamedValue, ...]
    step_raised: str | None


@dataclass(frozen=True)
class MutationCheck:
    mutated: tuple[str, ...]  # parameters changed by merely computing gradients


@dataclass(frozen=True)
class EvalCheck:
    """Does the prediction function look at its input, and agree with forward?"""

    inputs_compared: int
    predict_varies: bool
    forward_varies: bool
    forward_checked: bool
    max_disagreement: float  # largest |predict(x) - forward(x)| on the same inputs


@dataclass(frozen=True)
class OverfitTrial:
    """The user's own step repeated on a tiny batch: can the model fit it?"""

    examples: int
    steps: int
    seconds: float
    metric: str
    before: float
    after: float
    unit_agreement: float | None = None  # correlation of the output units after the trial


@dataclass(frozen=True)
class FixTrial:
    """A suggested fix applied to a copy of the model and trained briefly, beside an unfixed copy.

    `before` is the metric of the unfixed copy after the same steps, `after` that
    of the fixed copy; both measured on held batches the copies never trained on.
    `validated` is None when the trial is inconclusive (nndoctor.verdict).
    """

    cause: str
    fix: str
    # "accuracy" or "balanced accuracy" (mean recall per class; higher is better),
    # "loss" or "cross-entropy" (held mean -log p of the true class; lower is better)
    metric: str
    steps: int
    seconds: float
    before: float
    after: float
    validated: bool | None

    @property
    def verdict(self) -> str:
        """The verdict: fixed, did not help or inconclusive (nndoctor.verdict)."""
        if self.validated is None:
            return "inconclusive"
        return "fixed" if self.validated else "did not help"


@dataclass(frozen=True)
class LabelControl:
    """Two copies trained on the same cached batches, with real and with shuffled labels.

    Accuracies on held rows; `real_train` on the rows the real copy trained on,
    `shuffled_train` the shuffled copy's on its own (shuffled) training labels.
    `chance` and `train_chance` are the accuracies of the constant majority guess
    on the held and on the training rows (older traces: `chance` is 1/K and the
    fields after `held_samples` are missing).
    """

    steps: int
    real_train: float
    real_held: float
    shuffled_held: float
    chance: float
    held_samples: int
    train_samples: int = 0
    shuffled_train: float | None = None
    train_chance: float | None = None


@dataclass(frozen=True)
class LRProbe:
    """Copies trained a few steps each at the user's learning rate times a factor.

    `losses[i]` is the training loss after `steps` steps at `factors[i]` (inf when
    it diverged), `start` the loss before any step; `best` is the factor whose
    loss fell most (1.0 when none beat the user's rate).
    """

    steps: int
    start: float
    factors: tuple[float, ...]
    losses: tuple[float, ...]
    best: float


@dataclass(frozen=True)
class InputDependence:
    """The trained model on held inputs, and on the same inputs replaced by their mean.

    A model that learned from its inputs is more accurate on them than on the
    blank ones; one whose accuracy is the same on both ignores what it is shown.
    """

    samples: int
    accuracy_real: float
    accuracy_blank: float
    output_spread: float  # std of the outputs across samples, over their mean |value|


@dataclass(frozen=True)
class StepRecord:
    """One recorded training step. Per-layer statistics are sampled: empty when skipped."""

    step: int
    loss: float | None
    metric: float | None
    pred_counts: tuple[int, ...] | None
    label_counts: tuple[int, ...] | None
    grad_norms: tuple[NamedValue, ...]
    update_ratios: tuple[NamedValue, ...]
    params_changed: bool | None
    nonfinite: bool
    dead_fractions: tuple[NamedValue, ...] = ()  # units at 0 for every sample of the batch
    saturated_fractions: tuple[NamedValue, ...] = ()  # units within 1% of their limits
    grads_zeroed: bool | None = None  # gradients were reset since the previous step
    # Regression targets of this batch: (rows, variance about each output column's
    # mean, mean absolute deviation from its median), averaged over the columns.
    target_spread: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class HeldOut:
    """One evaluation by the script itself on data it does not train on.

    Keras: `validation_data`/`validation_split` at an epoch's end. PyTorch: the
    loss calls made under `torch.no_grad()` between two optimizer steps.
    """

    step: int  # optimizer steps done before it
    loss: float | None
    accuracy: float | None
    samples: int | None


@dataclass(frozen=True)
class HeldOutSplit:
    """The class mix of the rows a script trains on and of the rows it holds out, when
    the framework cuts them itself (Keras `validation_split` takes the last rows of the
    arrays, before any shuffling)."""

    fraction: float
    train_counts: tuple[int, ...]  # rows of each class id, training part
    held_out_counts: tuple[int, ...]  # rows of each class id, held-out part


@dataclass(frozen=True)
class LossRun:
    """Unsampled steps in one event: only their losses and whether gradients were reset.

    A trace line per step costs more than a small model's step (bench/overhead.py),
    so steps between two sampled ones travel together; `fold` expands them.
    """

    first_step: int
    losses: tuple[float | None, ...]
    grads_zeroed: tuple[bool | None, ...]

    def records(self) -> list[StepRecord]:
        # A probe writes one grads_zeroed per loss; a trace edited by hand may not.
        zeroed = (*self.grads_zeroed, *[None] * (len(self.losses) - len(self.grads_zeroed)))
        return [
            StepRecord(
                step=self.first_step + i,
                loss=loss,
                metric=None,
                pred_counts=None,
                label_counts=None,
                grad_norms=(),
                update_ratios=(),
                params_changed=None,
                nonfinite=loss is not None and not math.isfinite(loss),
                grads_zeroed=zeroed[i],
            )
            for i, loss in enumerate(self.losses)
        ]


@dataclass(frozen=True)
class RankPrint:
    """Fingerprints of one rank's step under torchrun: compared across ranks, they show
    ranks training on the same samples or replicas drifting apart (TAXONOMY)."""

    rank: int
    step: int
    batch: tuple[float, float]  # sum and sum of squares of the model's input, float64
    weights: tuple[float, float]  # the same of every parameter after the step


@dataclass(frozen=True)
class SamplerPass:
    """One pass of a DistributedSampler over the data (an epoch), with its epoch number."""

    epoch: int
    shuffle: bool


@dataclass(frozen=True)
class RunInfo:
    """How the training ended, as far as nndoctor saw it."""

    framework: Framework
    script: str | None
    exit_code: int | None
    seconds: float
    stopped_early: bool
    # Why the script failed ("ValueError: ..."), or why the run ended unseen (killed).
    error: str | None = None
    error_location: Location | None = None  # the user's line that raised
    imported: tuple[str, ...] = ()  # frameworks the script imported (torch, keras, ...)


@dataclass(frozen=True)
class RunStarted:
    """`nndoctor run` started the script; written again once the framework is known.

    The first lines of a trace, so a killed run, which never writes its RunInfo,
    is still read with its framework and as a run that did not end.
    """

    script: str
    framework: Framework


@dataclass(frozen=True)
class InternalError:
    where: str
    message: str


@dataclass(frozen=True)
class LayerSpec:
    name: str
    kind: str
    location: Location | None = None


@dataclass(frozen=True)
class ModelSpec:
    """The model as configured and first called: filled by framework probes."""

    name: str
    n_params: int
    output_width: int | None
    output_activation: str | None  # "softmax", "log_softmax", "sigmoid", "linear"
    loss: str | None  # "cross_entropy", "nll", "bce", "bce_logits", "mse", "l1", other names
    loss_expects: str | None  # "logits", "log_probabilities", "probabilities", "values", "ids"
    optimizer: str | None
    learning_rate: float | None
    layers: tuple[LayerSpec, ...] = ()
    output_shape: tuple[int, ...] = ()
    target_shape: tuple[int, ...] = ()
    loss_location: Location | None = None
    optimizer_location: Location | None = None
    last_layer: str | None = None  # the last module that ran in the model's forward
    params_without_optimizer: tuple[str, ...] = ()
    optimizer_holds_model: bool | None = None  # None: no optimizer seen
    steps_without_grad: int = 0  # optimizer steps where no model parameter had a gradient
    linear_stack: bool | None = None  # every weight layer fed the next one's input directly
    same_batch_every_step: bool | None = None  # one tensor held every training input: full batch
    batch_rows: int | None = None  # rows of a training batch
    handwritten_loss: bool = False  # backward() ran on a loss no known loss function made
    penalty_share: float | None = None  # (backward loss - criterion loss) / backward loss
    weight_decay: float | None = None
    # The label format the loss reads when it fixes one: "ids" (Keras sparse_*), "one-hot".
    label_format: str | None = None
    # Other models the script trains with their own optimizers (a GAN): not diagnosed.
    other_models: tuple[str, ...] = ()
    # Tensors the loss trains that no module registers and no optimizer holds (layers
    # kept in a Python list, a weight made with torch.randn(..., requires_grad=True)).
    unregistered: tuple[str, ...] = ()
    # Calls of the model without gradients (an evaluation) while it was in training mode,
    # counted when it has Dropout or BatchNorm (PyTorch).
    eval_in_train_mode: int = 0
    experiments_skipped: str | None = None  # why no experiment ran on copies (a budget)


@dataclass(frozen=True)
class Observations:
    """Everything the rules may read about one run."""

    framework: str = "numpy"
    run: RunInfo | None = None
    started: RunStarted | None = None
    model: ModelSpec | None = None
    data: DataProfile | None = None
    output: OutputProfile | None = None
    init: tuple[LayerInit, ...] = ()
    gradcheck: GradCheck | None = None
    update: UpdateCheck | None = None
    mutation: MutationCheck | None = None
    evaluation: EvalCheck | None = None
    overfit: OverfitTrial | None = None
    trace: tuple[StepRecord, ...] = ()
    errors: tuple[InternalError, ...] = ()
    fix_trials: tuple[FixTrial, ...] = ()
    label_control: LabelControl | None = None
    lr_probe: LRProbe | None = None
    input_dependence: InputDependence | None = None
    held_out: tuple[HeldOut, ...] = ()
    split: HeldOutSplit | None = None
    ranks: tuple[RankPrint, ...] = ()  # every rank's, merged by rank 0 (torchrun)
    sampler_passes: tuple[SamplerPass, ...] = ()

    @property
    def losses(self) -> list[float]:
        return [r.loss for r in self.trace if r.loss is not None and math.isfinite(r.loss)]


# Which Observations field each recorded event fills: singular ones are
# replaced by a later event, the tuple ones are appended to.
_SINGLE_FIELDS = {
    RunInfo: "run",
    RunStarted: "started",
    ModelSpec: "model",
    DataProfile: "data",
    OutputProfile: "output",
    GradCheck: "gradcheck",
    UpdateCheck: "update",
    MutationCheck: "mutation",
    EvalCheck: "evaluation",
    OverfitTrial: "overfit",
    LabelControl: "label_control",
    LRProbe: "lr_probe",
    InputDependence: "input_dependence",
    HeldOutSplit: "split",
}
_APPEND_FIELDS = {
    StepRecord: "trace",
    InternalError: "errors",
    LayerInit: "init",
    FixTrial: "fix_trials",
    HeldOut: "held_out",
    RankPrint: "ranks",
    SamplerPass: "sampler_passes",
}
EVENT_TYPES: dict[str, type] = {t.__name__: t for t in [*_SINGLE_FIELDS, *_APPEND_FIELDS, LossRun]}


def fold(events: typing.Iterable[Any], framework: str = "numpy") -> Observations:
    """Build the observations from events in the order they were recorded."""
    single: dict[str, Any] = {}
    many: dict[str, list[Any]] = {name: [] for name in _APPEND_FIELDS.values()}
    for event in events:
        if type(event) in _SINGLE_FIELDS:
            single[_SINGLE_FIELDS[type(event)]] = event
        elif type(event) is LossRun:
            many["trace"].extend(event.records())
        elif type(event) is LayerInit and event.name in {e.name for e in many["init"]}:
            many["init"] = [e for e in many["init"] if e.name != event.name] + [event]
        else:
            many[_APPEND_FIELDS[type(event)]].append(event)
    run, started = single.get("run"), single.get("started")
    return Observations(
        framework=run.framework if run else started.framework if started else framework,
        **single,
        **{name: tuple(values) for name, values in many.items()},
    )


def to_json(event: Any) -> dict[str, Any]:
    """An event as a JSON object, tagged with its type."""
    return {"event": type(event).__name__, **_fields(event)}


def _fields(obj: Any) -> dict[str, Any]:
    # A shallow walk: dataclasses.asdict deep-copies every value, and a trace
    # line is written at every training step (bench/overhead.py measured it).
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def from_json(obj: Any) -> Any:
    """The event that `to_json` wrote. Raises ValueError on anything else.

    Every field is checked against its dataclass's type hints, so an event read
    back holds exactly the types a probe could have recorded: a line with a
    missing, extra or wrongly typed field is refused here, not found later by a
    rule that trips over it.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"an event is a JSON object, not {type(obj).__name__}")
    name = obj.get("event")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown event {name!r}")
    return _build(cls, {k: v for k, v in obj.items() if k != "event"})


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Inf; "nan", "inf", "-inf" round-trip via float()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    return value


# The ints of a trace are steps, counts and shapes, int64 where they were measured:
# a larger one was not written by a probe (and would overflow float() in a rule).
MAX_INT = 2**63
# How `_plain` writes the floats JSON has no literal for.
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    extra = set(data) - {f.name for f in fields}
    if extra:
        raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(map(str, extra))}")
    kwargs = {}
    for f in fields:
        if f.name in data:
            kwargs[f.name] = _typed(hints[f.name], data[f.name], f"{cls.__name__}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}: missing field {f.name!r}")
    return cls(**kwargs)


def _typed(hint: Any, value: Any, where: str) -> Any:
    """`value` (parsed JSON) as the type `hint` names; ValueError when it is not one."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _typed(option, value, where)
            except ValueError:
                continue
    elif hint is type(None):
        if value is None:
            return None
    elif hint is bool:
        if type(value) is bool:
            return value
    elif hint is int:
        if type(value) is int and -MAX_INT <= value <= MAX_INT:
            return value
    elif hint is float:
        if type(value) is float:
            return value
        if type(value) is int and -MAX_INT <= value <= MAX_INT:
            return float(value)
        if isinstance(value, str) and value in _NONFINITE:
            return _NONFINITE[value]
    elif hint is str:
        # A lone surrogate (JSON "\ud800") is no text: it cannot be printed or saved.
        if _is_text(value):
            return value
    elif origin is tuple:
        args = typing.get_args(hint)
        if isinstance(value, list) and len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], v, f"{where}[]") for v in value)
        if isinstance(value, list) and len(value) == len(args):
            return tuple(_typed(a, v, f"{where}[]") for a, v in zip(args, value, strict=True))
    elif origin is list:
        if isinstance(value, list):
            return [_typed(typing.get_args(hint)[0], v, f"{where}[]") for v in value]
    elif origin is typing.Literal:
        if any(type(value) is type(a) and value == a for a in typing.get_args(hint)):
            return value
    elif origin is dict:
        key_type, value_type = typing.get_args(hint)
        if isinstance(value, dict):
            return {
                _typed(key_type, k, f"{where} key"): _typed(value_type, v, f"{where}[{k!r}]")
                for k, v in value.items()
            }
    elif dataclasses.is_dataclass(hint):
        return _build(hint, value)  # type: ignore[arg-type]
    else:
        raise TypeError(f"{where}: no reader for the type {hint!r}")  # a new field's type
    raise ValueError(f"{where}: expected {_name(hint)}, got {_short(value)}")


def _is_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
