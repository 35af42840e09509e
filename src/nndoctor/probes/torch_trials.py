"""Fix trials for PyTorch: try the suggested fix on a copy and keep the numbers.

For each cause with a mechanical fix, two deep copies of the user's model
train side by side on the first batches the probe cached: one as the user
configured it, one with the fix applied. Both are then measured on held
batches they never trained on. The fix is `validated` when the fixed copy is
clearly better. The user's model, optimizer and RNG state are never touched:
the copies are deep copies, the global RNG is forked and restored, and the
probe's hooks are paused so the copies leave no trace in the user's run.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from nndoctor import verdict
from nndoctor.observations import FixTrial, InternalError, LabelControl, Observations
from nndoctor.probes.torch import TorchProbe

MAX_STEPS = 200  # issue 8: a trial runs <= 200 steps or its time budget, whichever first
HELD_BATCHES = 2  # cached batches kept out of training to measure both copies
LR_FACTORS = {
    "lr-too-high": (0.1, 0.01),
    "lr-too-low": (10.0, 100.0, 1000.0),
    "exploding-gradient": (0.1,),
}


@dataclass(frozen=True)
class Setup:
    """How one copy trains: the user's configuration or a fixed one."""

    model: nn.Module
    lr_factor: float = 1.0
    wrap_output: Callable[[torch.Tensor], torch.Tensor] | None = None
    transform_input: Callable[[torch.Tensor], torch.Tensor] | None = None
    zero_grad: bool = True
    all_params: bool = False  # the optimizer holds every parameter of the model
    threshold: float = 0.0  # one output unit: class 1 above this value


def run(probe: TorchProbe, obs: Observations, causes: list[str], seconds: float) -> list[Any]:
    """FixTrial (or InternalError) events for the causes that have a mechanical fix."""
    if probe.model is None or not probe.optimizers or probe.loss_fn is None:
        return []
    if len(probe.batches) < 1 or not any(c in FIXES for c in causes):
        return []
    events: list[Any] = []
    probe.paused = True
    try:
        with torch.random.fork_rng(devices=[]):
            for cause in [c for c in causes if c in FIXES]:
                try:
                    trial = _trial(probe, obs, cause, seconds)
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


def experiments(probe: TorchProbe, obs: Observations, seconds: float) -> list[Any]:
    """The experiments run on copies after the script: events for the rules and the report."""
    return label_control(probe, obs, seconds)


def label_control(probe: TorchProbe, obs: Observations, seconds: float) -> list[Any]:
    """The shuffled-labels control: do real labels teach the copy more than shuffled ones?"""
    if probe.model is None or not probe.optimizers or probe.loss_fn is None:
        return []
    train, held = _split(probe.batches)
    if held is train:
        return []  # without held batches the control cannot tell learning from memorising
    targets = torch.cat([t.reshape(t.shape[0], -1) for _, t in train])
    if not _is_classes(targets) or _class_ids(targets).unique().numel() < 2:
        return []
    probe.paused = True
    try:
        with torch.random.fork_rng(devices=[]):
            user = _user_setup(probe, obs)
            torch.manual_seed(0)
            model, steps = _train(probe, user, train, seconds / 2, None)
            real_train, _ = _measure(probe, user, model, train)
            real_held, _ = _measure(probe, user, model, held)
            generator = torch.Generator().manual_seed(0)
            shuffled = [(x, t[torch.randperm(t.shape[0], generator=generator)]) for x, t in train]
            torch.manual_seed(0)
            model, _ = _train(probe, user, shuffled, math.inf, steps)
            shuffled_held, _ = _measure(probe, user, model, held)
    except Exception as error:  # noqa: BLE001 - a failed experiment is a note, not a crash
        return [InternalError("label control", f"{type(error).__name__}: {error}")]
    finally:
        probe.paused = False
    classes = int(_class_ids(targets).unique().numel())
    return [
        LabelControl(steps, real_train, real_held, shuffled_held, 1 / classes, _held_rows(held))
    ]


def _trial(probe: TorchProbe, obs: Observations, cause: str, seconds: float) -> FixTrial | None:
    train, held = _split(probe.batches)
    targets = torch.cat([t.reshape(t.shape[0], -1) for _, t in train])
    if _is_classes(targets) and _class_ids(targets).unique().numel() < 2:
        return None  # the cached batches hold one class: no copy can learn from them
    baseline = _user_setup(probe, obs)
    fixes = FIXES[cause](probe, obs, baseline)
    if not fixes:
        return None
    started = time.monotonic()
    torch.manual_seed(0)
    before_model, steps = _train(probe, baseline, train, seconds / (len(fixes) + 1), None)
    before = _measure(probe, baseline, before_model, held)
    best: tuple[float, str] | None = None
    for name, fixed in fixes:
        torch.manual_seed(0)
        model, _ = _train(probe, fixed, train, math.inf, steps)
        value = _measure(probe, fixed, model, held)
        if best is None or verdict.better(value[0], best[0], before[1]):
            best = (value[0], name)
    assert best is not None
    after, name = best
    metric = before[1]
    validated = verdict.fixed(metric, before[0], after, _held_rows(held))
    return FixTrial(
        cause,
        name,
        metric,
        steps,
        round(time.monotonic() - started, 3),
        before[0],
        after,
        validated,
    )


def _split(batches: list[Any]) -> tuple[list[Any], list[Any]]:
    if len(batches) > HELD_BATCHES + 1:
        return batches[:-HELD_BATCHES], batches[-HELD_BATCHES:]
    return batches, batches  # too few batches to hold some out: measured on the training ones


def _held_rows(held: list[Any]) -> int:
    return sum(int(t.shape[0]) for _, t in held)


# ---------------------------------------------------------------- training a copy


def _user_setup(probe: TorchProbe, obs: Observations) -> Setup:
    model = obs.model
    zeroed = probe.zero_grads > 0
    squashed = model is not None and model.output_activation in ("sigmoid", "softmax")
    start = copy.deepcopy(probe.model)
    if probe.initial_state is not None:
        start.load_state_dict(probe.initial_state)
    return Setup(model=start, zero_grad=zeroed, threshold=0.5 if squashed else 0.0)


def _optimizer(probe: TorchProbe, setup: Setup, model: nn.Module) -> torch.optim.Optimizer:
    user = probe.optimizers[0]
    held = {id(p) for group in user.param_groups for p in group["params"]}
    pairs = zip(probe.model.parameters(), model.parameters(), strict=True)
    params = [new for old, new in pairs if setup.all_params or id(old) in held]
    options = {k: v for k, v in user.param_groups[0].items() if k in user.defaults}
    if "lr" in options:
        options["lr"] = float(options["lr"]) * setup.lr_factor
    return type(user)(params or [torch.zeros(1, requires_grad=True)], **options)


def _forward(setup: Setup, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if setup.transform_input is not None:
        x = setup.transform_input(x)
    out = model(x)
    return setup.wrap_output(out) if setup.wrap_output is not None else out


def _train(
    probe: TorchProbe, setup: Setup, batches: list[Any], seconds: float, steps: int | None
) -> tuple[nn.Module, int]:
    model = copy.deepcopy(setup.model)
    model.train()
    optimizer = _optimizer(probe, setup, model)
    limit = steps if steps is not None else MAX_STEPS
    started, done = time.monotonic(), 0
    for x, t in _cycle(batches, limit):
        if setup.zero_grad:
            optimizer.zero_grad()
        loss = probe.loss_fn(_forward(setup, model, x), t)
        loss.backward()
        optimizer.step()
        done += 1
        if steps is None and time.monotonic() - started > seconds:
            break
    return model, done


def _cycle(batches: list[Any], steps: int) -> Iterator[Any]:
    for i in range(steps):
        yield batches[i % len(batches)]


@torch.no_grad()
def _measure(
    probe: TorchProbe, setup: Setup, model: nn.Module, held: list[Any]
) -> tuple[float, str]:
    model.eval()
    outs = [(_forward(setup, model, x), t) for x, t in held]
    targets = torch.cat([t.reshape(t.shape[0], -1) for _, t in held])
    if not _is_classes(targets):
        losses = [float(probe.loss_fn(o, t)) for o, t in outs]
        return sum(losses) / len(losses), "loss"
    truth = _class_ids(targets)
    predicted = torch.cat([_predict(setup, o) for o, _ in outs])
    if predicted.shape != truth.shape:
        return float("nan"), "accuracy"
    return float((predicted == truth).float().mean()), "accuracy"


def _is_classes(targets: torch.Tensor) -> bool:
    if not torch.is_floating_point(targets):
        return True
    return bool(torch.all(targets == targets.round())) and float(targets.max()) <= 1000


def _class_ids(targets: torch.Tensor) -> torch.Tensor:
    if targets.shape[1] > 1:
        return targets.argmax(dim=1)
    return targets.reshape(-1).long()


def _predict(setup: Setup, out: torch.Tensor) -> torch.Tensor:
    rows = out.reshape(out.shape[0], -1)
    if rows.shape[1] == 1:
        return (rows[:, 0] > setup.threshold).long()
    return rows.argmax(dim=1)


# ---------------------------------------------------------------- the fixes


def _logits_from_probabilities(out: torch.Tensor, width: int) -> torch.Tensor:
    p = out.clamp(1e-7, 1 - 1e-7) if width == 1 else out.clamp_min(1e-12)
    # log(softmax(z)) = log_softmax(z) is what CrossEntropyLoss should have seen;
    # logit(sigmoid(z)) = z recovers the raw score for BCEWithLogitsLoss.
    return torch.log(p) - torch.log1p(-p) if width == 1 else torch.log(p)


def _fix_double_softmax(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    width = (obs.model.output_width if obs.model else None) or 2
    fixed = replace(
        user, wrap_output=lambda out: _logits_from_probabilities(out, width), threshold=0.0
    )
    return [("use the raw scores (drop the final softmax/sigmoid)", fixed)]


def _fix_missing_activation(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = obs.model
    if model is None:
        return []
    if model.loss == "nll":
        squash = lambda out: torch.log_softmax(out, dim=1)  # noqa: E731
        return [("add log_softmax at the end of forward", replace(user, wrap_output=squash))]
    if model.loss == "bce":
        fixed = replace(user, wrap_output=torch.sigmoid, threshold=0.5)
        return [("add a sigmoid on the output", fixed)]
    return []


def _fix_single_unit(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = copy.deepcopy(user.model)
    if not _replace_last(model, (nn.Softmax, nn.LogSoftmax), nn.Sigmoid()):
        return []
    return [("replace the softmax by a sigmoid", replace(user, model=model, threshold=0.5))]


def _fix_inputs(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    x = torch.cat([b[0] for b in probe.batches]).float()
    mean, std = x.mean(dim=0), x.std(dim=0).clamp_min(1e-6)
    return [
        (
            "standardise the inputs with their measured mean and std",
            replace(user, transform_input=lambda v: (v - mean) / std),
        )
    ]


def _fix_lr(cause: str) -> Callable[..., list[Any]]:
    def fix(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
        return [(f"learning rate x{f:g}", replace(user, lr_factor=f)) for f in LR_FACTORS[cause]]

    return fix


def _fix_zero_grad(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    return [("call optimizer.zero_grad() before each backward()", replace(user, zero_grad=True))]


def _fix_optimizer(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = obs.model
    if model is None or (model.optimizer_holds_model and not model.params_without_optimizer):
        return []  # the optimizer holds the model: the fault is elsewhere (e.g. a detached loss)
    return [("give the optimizer the trained model's parameters", replace(user, all_params=True))]


def _fix_init(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = copy.deepcopy(user.model)
    relu = any(isinstance(m, nn.ReLU) for m in model.modules())
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            if relu:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return [
        (
            "re-initialise with He/Glorot" if relu else "re-initialise with Glorot",
            replace(user, model=model),
        )
    ]


def _fix_dead_relu(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = copy.deepcopy(user.model)
    if not _swap_all(model, nn.ReLU, lambda: nn.LeakyReLU(0.01)):
        return []
    return [
        ("use LeakyReLU(0.01) instead of ReLU", replace(user, model=model)),
        ("learning rate x0.1", replace(user, lr_factor=0.1)),
    ]


def _fix_vanishing(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    model = copy.deepcopy(user.model)
    last = _last_leaf(model)
    if not _swap_all(model, (nn.Sigmoid, nn.Tanh), nn.ReLU, keep=last):
        return []
    ((_, reinit),) = _fix_init(probe, obs, replace(user, model=model))
    return [("replace hidden sigmoid/tanh by ReLU with He init", reinit)]


def _fix_activation(probe: TorchProbe, obs: Observations, user: Setup) -> list[Any]:
    if obs.model is not None and obs.model.linear_stack:
        return []  # adding a layer needs the user's forward: nothing mechanical to try
    return _fix_vanishing(probe, obs, user)


def _last_leaf(model: nn.Module) -> nn.Module | None:
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    return leaves[-1] if leaves else None


def _swap_all(
    model: nn.Module, kinds: Any, make: Callable[[], nn.Module], keep: Any = None
) -> bool:
    swapped = False
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, kinds) and child is not keep:
                setattr(parent, name, make())
                swapped = True
    return swapped


def _replace_last(model: nn.Module, kinds: Any, new: nn.Module) -> bool:
    last = _last_leaf(model)
    if not isinstance(last, kinds):
        return False
    for parent in model.modules():
        for name, child in parent.named_children():
            if child is last:
                setattr(parent, name, new)
                return True
    return False


FIXES: dict[str, Callable[[TorchProbe, Observations, Setup], list[Any]]] = {
    "double-softmax": _fix_double_softmax,
    "missing-output-activation": _fix_missing_activation,
    "softmax-single-unit": _fix_single_unit,
    "inputs-not-normalized": _fix_inputs,
    "lr-too-high": _fix_lr("lr-too-high"),
    "lr-too-low": _fix_lr("lr-too-low"),
    "exploding-gradient": _fix_lr("exploding-gradient"),
    "grad-not-zeroed": _fix_zero_grad,
    "params-not-updated": _fix_optimizer,
    "bad-init": _fix_init,
    "dead-relu": _fix_dead_relu,
    "vanishing-gradient": _fix_vanishing,
    "wrong-activation": _fix_activation,
}
