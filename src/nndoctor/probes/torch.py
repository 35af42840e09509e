"""PyTorch probe: global module and optimizer hooks that watch an unmodified script.

Installed when the script imports torch (`nndoctor run`) or by `watch(...)`;
every hook and patch is removed afterwards. Hooks never change an output or a
gradient, never touch the global RNG, dtype, device or train/eval mode; a hook
that fails records an internal error and training goes on. Statistics are
reductions on the tensor's device, on sampled steps only, over a bounded
sample of the rows of a large batch and of the elements of a large tensor.

Memory: with experiments off nothing is copied; with them on, the probe keeps
a bounded sample of rows of each distinct batch and the initial weights, on
the CPU, and only when the copies the experiments train fit TRIAL_BYTES.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import traceback
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as _module
from torch.optim import optimizer as _optimizer

from nndoctor import session as _session
from nndoctor.findings import Location
from nndoctor.observations import (
    DataProfile,
    HeldOut,
    InternalError,
    LayerInit,
    LayerSpec,
    LossRun,
    ModelSpec,
    NamedValue,
    OutputProfile,
    RankPrint,
    SamplerPass,
    StepRecord,
)
from nndoctor.probes.numpy import profile_inputs, profile_labels

RANKS = _session.ranks()  # this process's rank and the number of ranks (torchrun)
EVERY_STEP_UNTIL = 20  # the first steps decide most faults: all of them are measured
SAMPLE_EVERY = 10  # later, one step in ten (DESIGN.md: heavy statistics are sampled)
SPARSE_FROM = 200  # after this many steps, one step in SAMPLE_EVERY * LATE_FACTOR:
LATE_FACTOR = 5  # a sampled step costs about one small-MLP step (bench/overhead.py)
SATURATION_MARGIN = 0.01  # TAXONOMY: within 1% of the limits
SAMPLE_ROWS = 256  # rows of the first batch copied to profile inputs and labels
SPEC_EVERY = 50  # steps between ModelSpec updates: a killed run keeps its counts
CACHED_BATCHES = 8  # first distinct batches sampled for fix trials (probes.torch_trials)
CACHE_CALLS = 4 * CACHED_BATCHES  # loss calls looked at for them: a loop of 2 batches stops
# Rows kept of one cached batch: at most CACHE_ROWS (the largest full batch of the
# bench cases, load_digits' 1797 rows, is kept whole) and at most CACHE_BATCH_BYTES of
# inputs, so the 8 cached batches hold <= 64 MB whatever the batch (issue 14).
CACHE_ROWS = 2048
CACHE_BATCH_BYTES = 8 << 20
# The memory the experiments may add after the script (issue 14: a stated budget):
# per parameter they hold the initial weights, then two training copies, each with its
# gradient and up to two optimizer moments (Adam): 1 + 2 * (1 + 1 + 2) = 9 copies.
# Beyond the budget (~30M float32 parameters) they are skipped and the report says so.
TRIAL_BYTES = 1 << 30
TRIAL_COPIES = 9
# Rows of a batch read for the per-step statistics (prediction and label counts,
# output range, dead and saturated units): a fixed strided sample. 8192 rows give a
# share within +-1.1% (95%: 1.96 * sqrt(0.25 / 8192)); smaller batches are read whole.
STAT_ROWS = 8192
# Parameters read for gradient norms and update ratios: a tensor of up to PARAM_WHOLE
# elements whole; a larger one through a fixed strided sample of PARAM_SAMPLE elements,
# whose norm is scaled by sqrt(numel / sample). The sample touches one cache line per
# element, as many as a whole tensor of PARAM_WHOLE floats (4096 x 64-byte lines); its
# norm is within ~1% of the whole one (Gaussian values: sqrt(2 / 4096) / 2). Full
# reductions over a 50M-parameter model cost ~20% of its step (issue 14: 6.4 s -> 40.5 s).
PARAM_WHOLE = 1 << 16
PARAM_SAMPLE = 1 << 12
MAX_ROOTS = 8  # models remembered (a GAN calls two)
MAX_TERMS = 8  # criterion calls remembered before a backward (a GAN's discriminator: two)
# Graph nodes searched from the backward loss for the criterion terms: they sit at its
# top (a + b, (a + b) / 2, a + lam * penalty); 64 nodes reach them without walking
# the model's graph.
GRAPH_NODES = 64
# A loop without an optimizer updates the weights by hand (`p -= lr * p.grad` under
# no_grad, `p.data.add_(...)`, as pytorch/examples and the PyTorch tutorials do): a step
# is the parameters changing since the last backward while no optimizer stepped
# (issue 16, item 6). Seen by each tensor's in-place counter, its storage, or HAND_VALUES
# strided values (`.data` updates bypass the counter): an update that moves a share f
# of a tensor's elements leaves all 64 unchanged with probability (1 - f)^64, 0.04 for
# f = 5%, 0.001 for f = 10% (a dense update moves them all).
HAND_VALUES = 64
HAND_LR_STEPS = 5  # steps whose update / gradient ratio give the rate: a median of 5
# Autograd nodes walked once, at the first backward, to find the tensors the loss trains
# (the leaves): ~1 us a node in Python, so at most ~0.1 s; a larger graph is read partly.
HAND_GRAPH_NODES = 100_000

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU)
SQUASHING = {nn.Sigmoid: (0.0, 1.0), nn.Tanh: (-1.0, 1.0)}
LOSSES: dict[type, tuple[str, str]] = {
    nn.CrossEntropyLoss: ("cross_entropy", "logits"),
    nn.NLLLoss: ("nll", "log_probabilities"),
    nn.BCELoss: ("bce", "probabilities"),
    nn.BCEWithLogitsLoss: ("bce_logits", "logits"),
    nn.MSELoss: ("mse", "values"),
    nn.L1Loss: ("l1", "values"),
    nn.SmoothL1Loss: ("l1", "values"),
    nn.HuberLoss: ("l1", "values"),
}
FUNCTIONAL_LOSSES = {
    "cross_entropy": ("cross_entropy", "logits"),
    "nll_loss": ("nll", "log_probabilities"),
    "binary_cross_entropy": ("bce", "probabilities"),
    "binary_cross_entropy_with_logits": ("bce_logits", "logits"),
    "mse_loss": ("mse", "values"),
    "l1_loss": ("l1", "values"),
    "smooth_l1_loss": ("l1", "values"),
    "huber_loss": ("l1", "values"),
}
_OURS = str(Path(__file__).resolve().parent.parent)
_TORCH = str(Path(torch.__file__).resolve().parent)


def _call_loss(original: Callable[..., Any], args: Any, kwargs: Any, out: Any, target: Any) -> Any:
    return original(out, target, *args, **kwargs)


def _compiling() -> bool:
    compiler = getattr(torch, "compiler", None)
    return bool(compiler is not None and compiler.is_compiling())


def user_location() -> Location | None:
    """The innermost frame of the user's code (not torch, not nndoctor, not the stdlib)."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        name = frame.filename
        if name.startswith((_OURS, _TORCH, "<")) or "/lib/python" in name or not frame.lineno:
            continue
        return Location(name, frame.lineno)
    return None


def _version(t: torch.Tensor) -> int:
    """The tensor's in-place change counter; -1 for an inference tensor, which has none."""
    return -1 if t.is_inference() else int(t._version)


def sample_rows(t: torch.Tensor) -> torch.Tensor:
    """At most STAT_ROWS rows of a batch: every k-th row (a view, no copy), so sorted
    data keeps its mix of classes."""
    n = t.shape[0] if t.ndim else 0
    return t if n <= STAT_ROWS else t[:: -(-n // STAT_ROWS)]


def sample_elements(t: torch.Tensor) -> tuple[torch.Tensor, float]:
    """A fixed strided sample of a large tensor (a view, no copy) and numel / its size.

    The stride is coprime with the last dimension, so the sample runs through every
    column of a weight matrix rather than a few of them."""
    n = t.numel()
    if n <= PARAM_WHOLE or not t.is_contiguous():
        return t, 1.0
    stride = -(-n // PARAM_SAMPLE)
    width = t.shape[-1] if t.ndim else 1
    while math.gcd(stride, width) != 1:
        stride += 1
    view = t.view(-1)[::stride]
    return view, n / view.numel()


def norm(t: torch.Tensor) -> float:
    """The L2 norm of a tensor, estimated from its strided sample when it is large."""
    view, scale = sample_elements(t.detach())
    return float(torch.linalg.vector_norm(view)) * math.sqrt(scale)


def distinct_rows(units: torch.Tensor) -> int:
    """How many distinct rows. Their first column, read exactly, tells most rows apart
    (equal rows agree on it); only rows that share its value are compared whole
    (torch.unique(dim=0) over all of a 4096 x 4096 weight took 0.23 s, issue 14)."""
    if units.ndim != 2 or units.shape[0] < 2 or units.shape[1] < 2:
        return int(torch.unique(units, dim=0).shape[0]) if units.ndim else 1
    _, inverse, counts = torch.unique(units[:, 0], return_inverse=True, return_counts=True)
    if int(counts.max()) == 1:
        return int(units.shape[0])
    shared = counts[inverse] > 1
    return int((~shared).sum()) + int(torch.unique(units[shared], dim=0).shape[0])


def infer_activation(output: torch.Tensor) -> str:
    """What the output looks like: softmax rows, log-softmax rows, sigmoid range or raw."""
    if output.ndim == 0 or not torch.is_floating_point(output):
        return "linear"
    output = sample_rows(output)
    out = (
        output.detach().float().reshape(output.shape[0], -1)
        if output.ndim > 1
        else output.detach().float().reshape(-1, 1)
    )
    low, high = float(out.min()), float(out.max())
    if out.shape[1] == 1 and low == high == 1.0:
        return "softmax"  # softmax over one unit: exactly 1 for every input
    if out.shape[1] > 1 and low >= 0 and high <= 1:
        if torch.allclose(out.sum(dim=1), torch.ones(out.shape[0]), atol=1e-3):
            return "softmax"
    if out.shape[1] > 1 and high <= 0:
        if torch.allclose(out.exp().sum(dim=1), torch.ones(out.shape[0]), atol=1e-3):
            return "log_softmax"
    if low >= 0 and high <= 1:
        return "sigmoid"
    return "linear"


def _hand_sample(t: torch.Tensor) -> torch.Tensor:
    """HAND_VALUES values of a tensor at a fixed stride (a view when it is contiguous)."""
    flat = t.detach().reshape(-1)
    return flat[:: max(1, flat.numel() // HAND_VALUES)][:HAND_VALUES]


def graph_leaves(loss: torch.Tensor) -> dict[int, torch.Tensor]:
    """The leaf tensors a loss's graph reaches (what its backward gives a .grad)."""
    leaves: dict[int, torch.Tensor] = {}
    queue, seen, visited = [loss.grad_fn], 0, set()
    while queue and seen < HAND_GRAPH_NODES:
        node = queue.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        seen += 1
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            leaves.setdefault(id(variable), variable)
        queue.extend(n for n, _ in node.next_functions)
    return leaves


def _user_names(tensors: list[torch.Tensor]) -> list[tuple[str, torch.Tensor]]:
    """The tensors, named as the script's innermost frame (or its module) names them."""
    names: dict[int, str] = {}
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith((_OURS, _TORCH, "<")) or "/lib/python" in name):
            for scope in (frame.f_locals, frame.f_globals):
                for key, value in list(scope.items()):
                    if isinstance(value, torch.Tensor) and not key.startswith("_"):
                        names.setdefault(id(value), key)
            break
        frame = frame.f_back
    order = {key: i for i, key in enumerate(names)}  # the script's order: w before b
    named = [(names.get(id(t), f"tensor{i}"), t) for i, t in enumerate(tensors)]
    return sorted(named, key=lambda pair: order.get(id(pair[1]), len(order)))


class TorchProbe:
    """Watches modules, losses and optimizers; emits observations into a session."""

    def __init__(
        self,
        session: _session.Session,
        model: nn.Module | None = None,
        optimizer: torch.optim.Optimizer | None = None,
    ) -> None:
        self.session = session
        self.only_model, self.only_optimizer = model, optimizer
        self.handles: list[Any] = []
        self.patches: list[tuple[Any, str, Any]] = []
        self.locations: weakref.WeakKeyDictionary[nn.Module, Location] = weakref.WeakKeyDictionary()
        self.depth = 0
        self.in_loss = 0
        self.model: nn.Module | None = None
        self.last_root: nn.Module | None = None
        self.last_leaf: nn.Module | None = None
        self.leaf_in_root: nn.Module | None = None
        self.output: torch.Tensor | None = None
        self.target: torch.Tensor | None = None
        self.loss_value: torch.Tensor | None = None
        self.loss_name: tuple[str, str] | None = None
        self.loss_location: Location | None = None
        self.optimizer_location: Location | None = None
        self.optimizers: list[torch.optim.Optimizer] = []
        # Several models in one script (a GAN): the first optimizer to step and the model
        # it trains are diagnosed; an optimizer holding none of that model's parameters
        # trains another model, whose steps are left out of the trace (issue 14, item 7).
        self.others: dict[int, str] = {}  # id(optimizer) -> the model it trains, described
        self.roots: list[nn.Module] = []  # the models called lately, most recent last
        self._model_ids: set[int] = set()
        # Criterion calls (output, target, value) since the last backward, and those of
        # them the backward loss was made of, since the last step: a loss of several
        # terms is their sum, not a term plus a penalty; a call outside the graph (an
        # evaluation without no_grad) is not part of it.
        self.terms: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.step_terms: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.steps = 0
        self.zero_grads = 0
        self.zero_grads_at_last_step = -1
        self.snapshot: dict[str, torch.Tensor] = {}
        self.dead: dict[str, float] = {}
        self.saturated: dict[str, float] = {}
        self.profiled = False
        self.spec_sent = False
        self.steps_without_grad = 0
        self.paused = False  # fix trials train copies: the hooks must not record them
        self.batches: list[tuple[torch.Tensor, torch.Tensor]] = []  # sampled rows, on the CPU
        self._cached_from: list[tuple[Any, int, Any, int]] = []
        self._cache_calls = 0
        self.trials_skipped: str | None = None  # why the experiments will not run
        self.loss_fn: Callable[[Any, Any], Any] | None = None
        self._last_input: Any = None
        self._step_input: Any = None  # the same, kept for the step's rank fingerprint
        self.leaves: dict[int, torch.Tensor] | None = None  # trained by the first 2 losses
        self.eval_in_train_mode = 0  # the model called without gradients in training mode
        self.all_held: set[int] = set()  # parameters of every optimizer that stepped
        self.stepped: weakref.WeakSet[Any] = weakref.WeakSet()
        self.initial_state: dict[str, Any] | None = None
        self._held_key: Any = None
        self._held_cache: list[tuple[str, torch.Tensor]] = []
        self.module_hooks: list[Any] = []
        self.loss_output: torch.Tensor | None = None
        self._weight_output: Any = None
        self.backward_value: torch.Tensor | None = None
        self.backward_calls = 0
        self.penalty_share: float | None = None
        # (penalty / sum of squared parameters, that sum) on two sampled steps: an L2 penalty
        # written in the loop keeps the first number while the second changes.
        self.l2_readings: list[tuple[float, float]] = []
        self.output_range = (0.0, 1.0)  # of the loss's input over sampled steps
        self.inputs_seen: set[tuple[int, tuple[int, ...], float]] = set()
        self.links = [0, 0]  # weight layer -> weight layer: [through something, direct]
        self.first_activation: str | None = None  # of the first batch, before any update
        self.pending: list[tuple[torch.Tensor | None, bool | None]] = []
        # The script's own evaluation: loss calls under no_grad since the last step,
        # as [loss x rows, rows, correct, rows with a predicted class].
        self.held_out = [0.0, 0, 0, 0]
        # A loop that updates the weights by hand, without an optimizer (issue 16, item 6):
        # the tensors its backward trains, named; what they held after the last backward;
        # the learning rates read from update / gradient; grads clear before backwards.
        self.hand_off = False  # an optimizer stepped: the loop is not written by hand
        self.hand_stepped = False  # a hand-written update was seen
        self.hand_params: list[tuple[str, torch.Tensor]] | None = None
        self.hand_model: nn.Module | None = None
        self.hand_before: list[tuple[int, int, torch.Tensor, torch.Tensor | None]] | None = None
        self.hand_initial: dict[str, Any] | None = None
        self.hand_lrs: list[float] = []
        self.hand_clear: bool | None = None  # gradients clear before the last backward
        self.hand_sentinel: int | None = None  # a tensor the update moves, read every step
        self.hand_clears = [0, 0]  # [backwards with clear gradients, backwards judged]

    # ------------------------------------------------------------ install / remove

    def install(self) -> TorchProbe:
        self._module_hooks(True)
        self.handles = [
            _module.register_module_module_registration_hook(self._guard(self._registered)),
            _optimizer.register_optimizer_step_post_hook(
                self._guard(self._post_step, reraise=True)
            ),
        ]
        for name, meaning in FUNCTIONAL_LOSSES.items():
            self._patch(F, name, self._functional_loss(getattr(F, name), meaning))
        self._patch(
            torch.optim.Optimizer, "zero_grad", self._counting(torch.optim.Optimizer.zero_grad)
        )
        self._patch(nn.Module, "zero_grad", self._counting(nn.Module.zero_grad))
        self._patch(torch.Tensor, "backward", self._backward(torch.Tensor.backward))
        if RANKS[1] > 1:
            from torch.utils.data.distributed import DistributedSampler

            self._patch(
                DistributedSampler, "__iter__", self._sampler_pass(DistributedSampler.__iter__)
            )
        return self

    def remove(self) -> None:
        try:
            self._hand_check()  # the last update of a hand-written loop (it toggles hooks)
        except _session.StopTraining:
            pass  # the script is over: nothing left to stop
        except Exception as error:  # noqa: BLE001 - never break the user's training
            self.session.emit(InternalError("torch.hand", f"{type(error).__name__}: {error}"))
        self._module_hooks(False)
        try:
            self._emit_held_out()
            self._flush()
        except Exception as error:  # noqa: BLE001 - never break the user's training
            self.session.emit(InternalError("torch.flush", f"{type(error).__name__}: {error}"))
        for handle in self.handles:
            handle.remove()
        self.handles = []
        for owner, name, original in reversed(self.patches):
            setattr(owner, name, original)
        self.patches = []
        self._emit_spec()

    def _module_hooks(self, on: bool) -> None:
        """Global module hooks send every module call down torch's slow path, so after
        the first steps they are installed only around sampled steps
        (bench/overhead.py: empty global hooks alone cost ~7% of a small MLP's step).
        The optimizer pre-step hook, which snapshots the weights, goes with them."""
        if on and not self.module_hooks:
            self.module_hooks = [
                # reraise: a hand-written step seen there may end the run (--max-steps)
                _module.register_module_forward_pre_hook(
                    self._guard(self._pre_forward, reraise=True)
                ),
                _module.register_module_forward_hook(
                    self._guard(self._forward, reraise=True), always_call=True
                ),
                _optimizer.register_optimizer_step_pre_hook(self._guard(self._pre_step)),
            ]
        elif not on and self.module_hooks:
            for handle in self.module_hooks:
                handle.remove()
            self.module_hooks = []
            self.depth = 0

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self.patches.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def _guard(self, hook: Callable[..., Any], reraise: bool = False) -> Callable[..., Any]:
        """A failing hook becomes an internal-error observation; training goes on."""

        @functools.wraps(hook)
        def guarded(*args: Any, **kwargs: Any) -> None:
            if self.paused or _compiling():
                return None  # inside a torch.compile trace: stay out of the user's graph
            try:
                hook(*args, **kwargs)
            except _session.StopTraining:
                if reraise:
                    raise
            except Exception as error:  # noqa: BLE001 - never break the user's training
                self.session.emit(
                    InternalError(f"torch.{hook.__name__}", f"{type(error).__name__}: {error}")
                )
            return None

        return guarded

    def _counting(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def zero_grad(*args: Any, **kwargs: Any) -> Any:
            if not self.paused:
                self.zero_grads += 1
                if self.hand_before is not None:
                    # A hand-written update before this reset: seen while p.grad still
                    # holds the gradient it read (clipped, perhaps).
                    self._guard(self._hand_check, reraise=True)()
            return original(*args, **kwargs)

        return zero_grad

    def _backward(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """The loss the user differentiates: with a penalty added, or written by hand."""

        @functools.wraps(original)
        def backward(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            hand = self._hand_watching() and tensor.numel() == 1
            if hand:
                self._guard(self._hand_check, reraise=True)()
                self._guard(self._hand_before_backward)(tensor)
            if not self.paused and tensor.numel() == 1:
                if self.backward_calls < 2:
                    self._guard(self._persistent_leaves)(tensor)
                self.backward_value = tensor
                self.backward_calls += 1
                if self.terms and self.loss_name is not None:
                    self._read_terms(tensor)
                if self.loss_name is None:
                    self.loss_value = tensor  # no known loss function: this is the loss
                    if self.first_activation is None and isinstance(self.output, torch.Tensor):
                        self.first_activation = infer_activation(self.output)
            result = original(tensor, *args, **kwargs)
            if hand:
                self._guard(self._hand_after_backward)()
            return result

        return backward

    # ------------------------------------------------------------ module hooks

    def _registered(self, parent: nn.Module, name: str, child: nn.Module) -> None:
        if child is not None and child not in self.locations:
            where = user_location()
            if where is not None:
                self.locations[child] = where

    def _is_loss(self, module: nn.Module) -> bool:
        return isinstance(module, nn.modules.loss._Loss)

    def _pre_forward(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if self._is_loss(module):
            self.in_loss += 1
            return
        self.depth += 1
        if self.depth == 1:
            self._hand_check()  # a hand-written update since the last backward: a step
            self._weight_output = None
            self.current_root = module
        elif isinstance(module, WEIGHT_LAYERS) and self._weight_output is not None and args:
            # The previous weight layer's output object fed straight in: nothing
            # (no activation) ran between the two layers.
            self.links[args[0] is self._weight_output] += 1
        if self.depth == 1 and args and isinstance(args[0], torch.Tensor):
            self._last_input = self._step_input = args[0]
            if not self.profiled:
                self._first_input = args[0]

    def _forward(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        # A hand-written step seen inside a call installs the hooks mid-call: its end
        # comes without its start (the F.* wrapper has already seen such a loss).
        if self._is_loss(module):
            if self.in_loss <= 0:
                return
            self.in_loss -= 1
            meaning = next(
                (v for k, v in LOSSES.items() if isinstance(module, k)),
                (type(module).__name__, "values"),
            )
            if len(args) >= 2:
                if self.loss_fn is None:
                    self.loss_fn = module
                self._loss_call(args[0], args[1], output, meaning)
            return
        if self.depth <= 0:
            return
        self.depth -= 1
        if self.depth > 0 and isinstance(module, WEIGHT_LAYERS):
            self._weight_output = output
        if self.depth > 0:
            if not any(True for _ in module.children()):
                self.leaf_in_root = module
                if self._sampling():
                    self._activation_stats(module, output)
            return
        if not self.roots or self.roots[-1] is not module:
            # The models called lately, most recent last (a GAN's generator runs before
            # the discriminator's step and is stepped after it).
            self.roots = [m for m in self.roots if m is not module][-MAX_ROOTS + 1 :] + [module]
        if self.only_model is not None and module is not self.only_model:
            return
        self.last_root, self.last_leaf = module, self.leaf_in_root
        if not any(True for _ in module.children()):
            self.last_leaf = module
        self.leaf_in_root = None
        if isinstance(output, torch.Tensor):
            self.output = output

    def _sampling(self) -> bool:
        if self.steps < EVERY_STEP_UNTIL:
            return True
        every = SAMPLE_EVERY * (LATE_FACTOR if self.steps >= SPARSE_FROM else 1)
        return self.steps % every == 0

    def _name(self, module: nn.Module) -> str:
        root = self.model or getattr(self, "current_root", None) or self.last_root
        if root is not None:
            for name, child in root.named_modules():
                if child is module:
                    return name or type(module).__name__
        return type(module).__name__

    @torch.no_grad()
    def _activation_stats(self, module: nn.Module, output: Any) -> None:
        if not isinstance(output, torch.Tensor) or output.ndim < 2 or output.shape[0] < 2:
            return
        output = sample_rows(output.detach())
        units = output.transpose(0, 1).reshape(output.shape[1], -1)  # (units, values)
        if isinstance(module, ACTIVATIONS):
            self.dead[self._name(module)] = float((units <= 0).all(dim=1).float().mean())
        for kind, (low, high) in SQUASHING.items():
            if isinstance(module, kind):
                margin = SATURATION_MARGIN * (high - low)
                pinned = ((units <= low + margin) | (units >= high - margin)).float().mean(dim=1)
                self.saturated[self._name(module)] = float((pinned > 0.5).float().mean())

    # ------------------------------------------------------------ losses

    def _functional_loss(
        self, original: Callable[..., Any], meaning: tuple[str, str]
    ) -> Callable[..., Any]:
        @functools.wraps(original)
        def loss(input: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(input, target, *args, **kwargs)
            if not self.in_loss and not self.paused:
                if self.loss_fn is None:
                    self.loss_fn = functools.partial(_call_loss, original, args, kwargs)
                try:
                    self._loss_call(input, target, result, meaning)
                except Exception as error:  # noqa: BLE001 - never break the user's training
                    self.session.emit(
                        InternalError("torch.loss", f"{type(error).__name__}: {error}")
                    )
            return result

        return loss

    def _loss_call(self, output: Any, target: Any, value: Any, meaning: tuple[str, str]) -> None:
        if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
            return
        self._hand_check()  # before this call replaces the last step's loss and targets
        if self.loss_name is None:
            self.loss_name, self.loss_location = meaning, user_location()
        if not torch.is_grad_enabled() and self.steps and not self.paused:
            self._count_held_out(output, target, value, meaning[0])
        self.target, self.loss_value = target, value if isinstance(value, torch.Tensor) else None
        if (
            torch.is_grad_enabled()
            and len(self.terms) < MAX_TERMS
            and isinstance(value, torch.Tensor)
            and value.numel() == 1
            and value.grad_fn is not None
        ):
            self.terms.append((output, target, value))
        if self.output is None or output is not self.output:
            self.output = output
        self.loss_output = output  # evaluation calls of the model must not replace it
        x = self._last_input
        if isinstance(x, torch.Tensor) and len(self.inputs_seen) < 2 and torch.is_grad_enabled():
            # Memory is reused between batches: the first values tell batches apart.
            head = float(x.detach().reshape(-1)[:64].double().sum()) if x.numel() else 0.0
            self.inputs_seen.add((x.data_ptr(), tuple(x.shape), head))
        self._cache_batch(target)
        if not self.profiled:
            self._profile(output, target)

    def keeps_batches(self) -> bool:
        """Whether experiments will run on copies after the script: only then are rows
        of the batches kept (issue 14: no copies when no trial will run)."""
        return bool(getattr(self.session, "experiments", True)) and self.trials_skipped is None

    @torch.no_grad()
    def _count_held_out(
        self, output: torch.Tensor, target: torch.Tensor, value: Any, name: str
    ) -> None:
        """A loss the script computes without gradients after training began: its evaluation."""
        if not isinstance(value, torch.Tensor) or value.numel() != 1 or not output.ndim:
            return
        rows = int(output.shape[0])
        self.held_out[0] += float(value) * rows
        self.held_out[1] += rows
        if name in ("cross_entropy", "nll") and output.ndim == 2 and target.ndim == 1:
            if not torch.is_floating_point(target):
                self.held_out[2] += int((output.argmax(dim=1) == target).sum())
                self.held_out[3] += rows
        elif name in ("bce", "bce_logits") and output.numel() == target.numel() == rows:
            # As the script would threshold them: 0.5 on probabilities, 0 on raw scores
            # (a sigmoid before BCEWithLogitsLoss still outputs probabilities).
            predicted = self._classes(output.reshape(-1, 1)).to(target.dtype)
            self.held_out[2] += int((predicted == target.reshape(-1)).sum())
            self.held_out[3] += rows

    def _emit_held_out(self) -> None:
        total, rows, correct, judged = self.held_out
        if rows:
            accuracy = correct / judged if judged else None
            self.session.emit(HeldOut(self.steps, total / rows, accuracy, rows))
        self.held_out = [0.0, 0, 0, 0]

    @torch.no_grad()
    def _cache_batch(self, target: torch.Tensor) -> None:
        x, self._last_input = self._last_input, None
        if len(self.batches) >= CACHED_BATCHES or not isinstance(x, torch.Tensor):
            return
        self._cache_calls += 1
        if (
            self._cache_calls > CACHE_CALLS
            or not self.keeps_batches()
            or not (x.ndim and target.ndim)
        ):
            return
        if x.shape[0] != target.shape[0]:
            return
        # The same tensor, unchanged since it was cached (a full-batch loop): once.
        source = (weakref.ref(x), _version(x), weakref.ref(target), _version(target))
        if (
            source[1] >= 0
            and source[3] >= 0
            and any(
                s[0]() is x and s[1] == source[1] and s[2]() is target and s[3] == source[3]
                for s in self._cached_from
            )
        ):
            return
        rows = x.shape[0]
        row_bytes = max(1, x[:1].numel() * x.element_size())
        keep = max(1, min(CACHE_ROWS, CACHE_BATCH_BYTES // row_bytes))
        # Every k-th row, on the CPU: a sorted batch keeps its mix of classes, and the
        # user's device keeps its memory.
        step = -(-rows // keep) if rows > keep else 1
        batch = (
            x.detach()[::step].to("cpu", copy=True),
            target.detach()[::step].to("cpu", copy=True),
        )
        self._cached_from.append(source)
        if not any(
            b[0].shape == batch[0].shape
            and torch.equal(b[0], batch[0])
            and torch.equal(b[1], batch[1])
            for b in self.batches
        ):
            self.batches.append(batch)

    @torch.no_grad()
    def _profile(self, output: torch.Tensor, target: torch.Tensor) -> None:
        """Input, label and output profile of the first batch: configuration faults, early."""
        self.profiled = True
        self.session.framework = "torch"
        first = getattr(self, "_first_input", None)
        x = (
            first.detach()[:SAMPLE_ROWS].float().cpu().numpy()
            if isinstance(first, torch.Tensor)
            else None
        )
        self._first_input = None  # not kept alive: it may be a large batch
        y = target.detach()[:SAMPLE_ROWS].cpu().numpy()
        if x is not None and x.ndim >= 1 and y.ndim >= 1 and x.shape[0] == y.shape[0]:
            labels = profile_labels(y.astype(np.float64), y.shape[0]) if y.size else None
            self.session.emit(
                DataProfile("rows", int(x.shape[0]), profile_inputs(x, "rows"), labels)
            )
        out = output.detach()[:SAMPLE_ROWS].float()
        rows = out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(-1, 1)
        self._first_activation(out)
        classes = self._classes(rows)
        self.session.emit(
            OutputProfile(
                width=int(rows.shape[1]),
                min=float(rows.min()),
                max=float(rows.max()),
                rows_sum_to_one=self._first_activation(out) == "softmax",
                activation=infer_activation(out),
                pred_counts=tuple(int(c) for c in torch.bincount(classes, minlength=2).tolist()),
                nonfinite=int((~torch.isfinite(rows)).sum()),
            )
        )
        self._emit_spec()

    # ------------------------------------------------------------ optimizer hooks

    def _params_of(self, opt: torch.optim.Optimizer) -> Iterator[torch.Tensor]:
        for group in opt.param_groups:
            yield from group["params"]

    def _owner(self, opt: torch.optim.Optimizer) -> nn.Module | None:
        """The model called lately whose parameters this optimizer holds."""
        held = {id(p) for p in self._params_of(opt)}
        for root in reversed([*self.roots, *([self.last_root] if self.last_root else [])]):
            if any(id(p) in held for p in root.parameters()):
                return root
        return None

    def _trains_other_model(self, opt: torch.optim.Optimizer) -> bool:
        """Whether this optimizer trains another model than the one diagnosed."""
        if id(opt) in self.others:
            return True
        model = self.model or self.only_model  # watch(model): known before its first step
        if model is None or opt in self.optimizers:
            return False
        ids = self._model_ids or {id(p) for p in model.parameters()}
        if any(id(p) in ids for p in self._params_of(opt)):
            return False  # a second optimizer of the same model (parameter groups split)
        owner = self._owner(opt)
        size = sum(p.numel() for p in self._params_of(opt))
        where = user_location()
        self.others[id(opt)] = (
            f"{type(owner).__name__ if owner is not None else 'a model'} ({size:,} parameters, "
            f"{type(opt).__name__}"
            + (f" stepped at {Path(where.file).name}:{where.line})" if where else ")")
        )
        self.trials_skipped = (
            "the script trains several models; copies of one trained alone would not "
            "replay their game"
        )
        self.batches, self._cached_from = [], []
        self._emit_spec()
        return True

    def _pre_step(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if self.leaves and opt not in self.stepped:  # every optimizer's, other models' too
            self.stepped.add(opt)
            self.all_held.update(id(p) for p in self._params_of(opt))
        if self.only_optimizer is not None and opt is not self.only_optimizer:
            return
        if self._trains_other_model(opt):
            return
        if opt not in self.optimizers:
            self.optimizers.append(opt)
            self.optimizer_location = self.optimizer_location or user_location()
        if self.model is None:
            self.model = self.only_model or self._owner(opt) or self.last_root
            # torch.compile wraps the model: name layers after the user's own module.
            self.model = getattr(self.model, "_orig_mod", self.model)
            # DistributedDataParallel wraps it too: trials copy the plain module, which
            # trains without the process group (gone once the script ends).
            if type(self.model).__name__ == "DistributedDataParallel":
                self.model = getattr(self.model, "module", self.model)
            if self.model is not None:
                self._model_ids = {id(p) for p in self.model.parameters()}
                self._watch_evaluation(self.model)
            self._budget_trials()
            if self.model is not None and self.keeps_batches():
                # Fix trials start from the weights training started from (on the CPU),
                # copied at the first backward when that was this model's.
                self.initial_state = (
                    self.hand_initial
                    if self.hand_initial is not None and self.model is self.hand_model
                    else {
                        k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor) else v
                        for k, v in self.model.state_dict().items()
                    }
                )
            self.session.framework = "torch"
            self._emit_layers()
            self._emit_spec()
        named = self._held(opt)
        if self._sampling():
            self._read_penalty()
            with torch.no_grad():
                # Of a large tensor only its strided sample: the update ratio is the
                # sample's, the gradient norm the sample's scaled to the whole tensor.
                self.snapshot = {
                    n: sample_elements(p.detach())[0].clone() for n, p in named if p.ndim > 1
                }
                self.grad_norms = [
                    NamedValue(n, norm(p.grad))
                    for n, p in named
                    if p.grad is not None and p.ndim > 1
                ]
        else:
            self.snapshot, self.grad_norms = {}, []

    def _budget_trials(self) -> None:
        """Skip the experiments when the copies they train would exceed TRIAL_BYTES."""
        if self.model is None or not getattr(self.session, "experiments", True):
            return
        size = sum(p.numel() * p.element_size() for p in self.model.parameters())
        if size * TRIAL_COPIES > TRIAL_BYTES:
            self.trials_skipped = (
                f"the model's {size / 2**20:.0f} MB of parameters would need about "
                f"{size * TRIAL_COPIES / 2**30:.1f} GB for the copies the experiments "
                f"train, over their budget of {TRIAL_BYTES / 2**30:.0f} GB"
            )
            self.batches, self._cached_from = [], []

    @torch.no_grad()
    def _read_penalty(self) -> None:
        """The penalty the user adds to the loss, over the squared parameters it was
        computed from (before this step): its L2 coefficient, if it is an L2 term."""
        total, data = self.backward_value, self.loss_value
        if self.loss_name is None or not isinstance(total, torch.Tensor) or total is data:
            return
        if not isinstance(data, torch.Tensor) or data.numel() != 1:
            return
        penalty = float(total.detach()) - float(data.detach())
        # Exact, not sampled: two readings must agree within L2_AGREE; a norm copies nothing.
        squares = sum(
            float(torch.linalg.vector_norm(p.detach())) ** 2 for _, p in self._model_params()
        )
        if penalty > 0 and squares > 0 and math.isfinite(penalty):
            self.l2_readings[1 if self.l2_readings else 0 :] = [(penalty / squares, squares)]

    def _held(self, opt: torch.optim.Optimizer) -> list[tuple[str, torch.Tensor]]:
        """The model's named parameters this optimizer holds (cached: asked every step)."""
        key = (id(opt), tuple(len(g["params"]) for g in opt.param_groups))
        if self._held_key != key:
            held = {id(p) for p in self._params_of(opt)}
            self._held_cache = [(n, p) for n, p in self._model_params() if id(p) in held]
            self._held_key = key
        return self._held_cache

    def _post_step(self, opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if self.only_optimizer is not None and opt is not self.only_optimizer:
            return
        # An optimizer trains: no hand steps, and no copy kept for them.
        self.hand_off, self.hand_before, self.hand_initial = True, None, None
        if self._trains_other_model(opt):
            self.terms, self.step_terms = [], []
            return
        named = self._held(opt)
        if named and all(p.grad is None for _, p in named):
            self.steps_without_grad += 1
        self._step_done()

    def _step_done(self) -> None:
        """Record one training step: an optimizer's, or an update written by hand."""
        if self.held_out[1]:
            self._emit_held_out()
        if self._sampling():
            self._flush()
            self.session.emit(self._record())
            if RANKS[1] > 1:
                self._rank_print()
        else:
            loss = self.loss_value
            self.pending.append(
                (
                    loss.detach() if isinstance(loss, torch.Tensor) and loss.numel() == 1 else None,
                    self._zeroed(),
                )
            )
        self.steps += 1
        self.terms, self.step_terms = [], []
        self.zero_grads_at_last_step = self.zero_grads
        self.dead, self.saturated = {}, {}
        if self.steps in (1, EVERY_STEP_UNTIL) or self.steps % SPEC_EVERY == 0:
            self._emit_spec()  # its counts (steps without gradient) feed rules mid-run
        self._module_hooks(self._sampling())  # losses are still seen: F.* wrappers
        self.session.count_step()

    @torch.no_grad()
    def _rank_print(self) -> None:
        """This rank's input and weights in two numbers each, for rank 0 to compare."""
        x, model, self._step_input = self._step_input, self.model, None
        if not isinstance(x, torch.Tensor) or model is None:
            return
        params = [p.detach().double() for p in model.parameters()]
        if not params:
            return
        x = x.detach().double()
        sums = torch.stack([torch.stack([p.sum(), p.square().sum()]) for p in params]).sum(0)
        self.session.emit(
            RankPrint(
                RANKS[0],
                self.steps,
                (float(x.sum()), float(x.square().sum())),
                (float(sums[0]), float(sums[1])),
            )
        )

    def _sampler_pass(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def __iter__(sampler: Any) -> Any:
            with contextlib.suppress(Exception):  # never break the user's data loading
                self.session.emit(SamplerPass(int(sampler.epoch), bool(sampler.shuffle)))
            return original(sampler)

        return __iter__

    def _zeroed(self) -> bool | None:
        if self.hand_params is not None and not self.hand_off:
            return self.hand_clear if self.steps else None  # as below: the first step, unknown
        if self.zero_grads_at_last_step < 0:
            return None
        return self.zero_grads > self.zero_grads_at_last_step

    def _watch_evaluation(self, model: nn.Module) -> None:
        """A hook on the model alone (not every module): each call without gradients
        while it is in training mode, when Dropout or BatchNorm makes that matter."""
        if any(
            isinstance(m, nn.modules.batchnorm._BatchNorm)
            or isinstance(m, nn.modules.dropout._DropoutNd)
            and m.p > 0
            for m in model.modules()
        ):
            self.handles.append(model.register_forward_pre_hook(self._guard(self._model_call)))

    def _model_call(self, module: nn.Module, args: Any) -> None:
        if module.training and not torch.is_grad_enabled() and not self.paused:
            self.eval_in_train_mode += 1

    @torch.no_grad()
    def _persistent_leaves(self, loss: torch.Tensor) -> None:
        """The tensors the first two losses both train: weights, not a batch that asks
        for its own gradient. Those no module registers are found in _emit_spec."""
        leaves = graph_leaves(loss)
        if self.leaves is None:
            self.leaves = leaves
        else:
            self.leaves = {k: t for k, t in self.leaves.items() if k in leaves}

    def _unregistered(self, model: nn.Module | None) -> tuple[str, ...]:
        """Tensors the loss trains that neither the model nor any optimizer holds."""
        if not self.leaves or self.backward_calls < 2 or not self.all_held:
            return ()
        registered = {id(p) for p in model.parameters()} if model is not None else set()
        inputs = {ptr for ptr, _, _ in self.inputs_seen}  # a full batch asking for its grad
        return tuple(
            f"a {'x'.join(map(str, t.shape))} tensor"
            for k, t in self.leaves.items()
            if t.requires_grad
            and k not in registered
            and k not in self.all_held
            and t.data_ptr() not in inputs
        )

    # ------------------------------------------------------------ hand-written updates

    def _hand_watching(self) -> bool:
        """Whether a backward may be followed by an update written by hand."""
        return not (
            self.paused
            or self.hand_off
            or self.optimizers
            or self.only_optimizer is not None
            or _compiling()
        )

    @torch.no_grad()
    def _hand_before_backward(self, loss: torch.Tensor) -> None:
        """Find the tensors the loss trains (once), and whether their gradients are clear."""
        if self.hand_params is None:
            self._hand_discover(loss)
        if not self.hand_params:
            return
        # The first gradient read: a loop resets all of them or none (one read per step).
        grad = next((p.grad for _, p in self.hand_params if p.grad is not None), None)
        clear = grad is None or not bool(_hand_sample(grad).any())
        self.hand_clear = clear
        if self.backward_calls:  # the first backward finds them clear whatever the loop does
            self.hand_clears[0] += clear
            self.hand_clears[1] += 1

    def _hand_discover(self, loss: torch.Tensor) -> None:
        """The leaf tensors the loss's graph reaches: a Module's parameters, or bare
        tensors made with requires_grad=True, named as the script names them."""
        leaves = graph_leaves(loss)
        if not leaves:
            self.hand_params = []
            return
        root = self.only_model or self.last_root
        root = getattr(root, "_orig_mod", root)
        if root is not None and any(id(p) in leaves for p in root.parameters()):
            self.hand_model = root
            self.hand_params = [(n, p) for n, p in root.named_parameters() if p.requires_grad]
        else:
            self.hand_params = _user_names(list(leaves.values()))

    @torch.no_grad()
    def _hand_after_backward(self) -> None:
        """What the trained tensors hold after this backward, to see the update after it."""
        if not self.hand_params:
            return
        if self.hand_model is not None and self.hand_initial is None and not self.steps:
            self._hand_initial_state()
        # Values of every tensor while the rate is read, on sampled steps and until one
        # tensor is known to move; between them, that tensor's values and every tensor's
        # counter and storage. Measured (CPU time, 1500 full-batch steps of a 3-layer MLP
        # whose plain step takes 0.45 ms): full reads every step add 0.50 ms a step, this
        # 0.25 ms; the optimizer path adds 0.16 ms.
        reading = len(self.hand_lrs) < HAND_LR_STEPS
        full = reading or self.hand_sentinel is None or self._sampling()
        self.hand_before = [
            (
                _version(p),
                p.data_ptr(),
                _hand_sample(p).clone() if full or i == self.hand_sentinel else None,
                None if p.grad is None or not reading else _hand_sample(p.grad).clone(),
            )
            for i, (_, p) in enumerate(self.hand_params)
        ]
        if self._sampling():  # as _pre_step does before an optimizer's step
            self.snapshot = {
                n: sample_elements(p.detach())[0].clone() for n, p in self.hand_params if p.ndim > 1
            }
            self.grad_norms = [
                NamedValue(n, norm(p.grad))
                for n, p in self.hand_params
                if p.grad is not None and p.ndim > 1
            ]

    def _hand_initial_state(self) -> None:
        """The weights before the first update, for the experiments' copies (on the CPU)."""
        model = self.hand_model
        if model is None or not getattr(self.session, "experiments", True):
            return
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        if size * TRIAL_COPIES <= TRIAL_BYTES:
            self.hand_initial = {
                k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor) else v
                for k, v in model.state_dict().items()
            }

    def _hand_check(self) -> None:
        """A step, if the trained tensors changed since the last backward with no
        optimizer stepping: the update is written by hand."""
        before = self.hand_before
        if before is None or not self._hand_watching() or not self.hand_params:
            return
        # Reads of detached tensors only: no graph, no no_grad context (~10 us a step).
        changed = None
        for i, ((_, p), (version, pointer, values, _)) in enumerate(
            zip(self.hand_params, before, strict=True)
        ):
            if _version(p) != version or p.data_ptr() != pointer:
                changed = i
                break
            if values is None:
                continue
            now = _hand_sample(p)
            if now.shape != values.shape or not torch.equal(now, values):
                changed = i
                break
        if changed is None:
            return  # not yet (an evaluation, or a second backward accumulating)
        if all(values is not None for _, _, values, _ in before):
            self.hand_sentinel = changed  # the first tensor the update moves
        self.hand_before, self.hand_stepped = None, True
        if len(self.hand_lrs) < HAND_LR_STEPS:
            self._hand_read_lr(before)
        if self.model is None and self.hand_model is not None:
            self.model = self.hand_model
            self._model_ids = {id(p) for p in self.model.parameters()}
            self._budget_trials()
            if self.keeps_batches():
                self.initial_state = self.hand_initial
            self.session.framework = "torch"
            self._emit_layers()
        elif self.model is None and self.trials_skipped is None:
            self.session.framework = "torch"
            self.trials_skipped = (
                "the loop updates bare tensors by hand, not an nn.Module: there is no model "
                "to copy and train"
            )
            self.batches, self._cached_from = [], []
        if not self.steps:
            self._emit_spec()
        self._step_done()

    def _hand_read_lr(self, before: list[tuple[int, int, torch.Tensor, Any]]) -> None:
        """The learning rate of `p -= lr * g`: -<update, g> / <g, g> per tensor, median."""
        rates = []
        for (_, p), (_, _, old, grad) in zip(self.hand_params or [], before, strict=True):
            now = _hand_sample(p)
            # The gradient the update read: still in p.grad unless the loop reset it
            # already (it may be clipped in place since the backward), else the backward's.
            used = _hand_sample(p.grad) if p.grad is not None and p.grad.shape == p.shape else None
            grad = used if used is not None and bool(used.any()) else grad
            if grad is None or old is None or not now.shape == old.shape == grad.shape:
                continue
            g = grad.double()
            squares = float((g * g).sum())
            if squares > 0:
                rate = -float(((now.double() - old.double()) * g).sum()) / squares
                if math.isfinite(rate) and rate > 0:
                    rates.append(rate)
        if rates:
            self.hand_lrs.append(sorted(rates)[len(rates) // 2])

    def hand_lr(self) -> float | None:
        """The learning rate of a hand-written update, when it moved along the gradient."""
        if self.hand_off or not self.hand_lrs:
            return None
        return sorted(self.hand_lrs)[len(self.hand_lrs) // 2]

    def hand_zeroes(self) -> bool:
        """Whether a hand-written loop clears the gradients before most backwards."""
        cleared, judged = self.hand_clears
        return not judged or 2 * cleared >= judged

    def _flush(self) -> None:
        """Emit the unsampled steps since the last sampled one as one LossRun."""
        if not self.pending:
            return
        tensors = [loss for loss, _ in self.pending if loss is not None]
        values = iter(torch.stack(tensors).float().tolist() if tensors else [])
        losses = tuple(None if loss is None else next(values) for loss, _ in self.pending)
        zeroed = tuple(z for _, z in self.pending)
        self.session.emit(LossRun(self.steps - len(self.pending), losses, zeroed))
        self.pending = []

    @torch.no_grad()
    def _record(self) -> StepRecord:
        total, data = self.backward_value, self.loss_value
        if (
            self.loss_name is not None
            and isinstance(total, torch.Tensor)
            and isinstance(data, torch.Tensor)
            and data.numel() == 1
            and total is not data
        ):
            t, d = float(total.detach()), float(data.detach())
            if math.isfinite(t) and t > 0 and math.isfinite(d):
                # The peak: a penalty that dominates pulls the weights to 0, and then
                # it is small again while the model sits at the class prior.
                self.penalty_share = max(self.penalty_share or 0.0, (t - d) / t)
        out = self.loss_output
        if isinstance(out, torch.Tensor) and out.numel() and torch.is_floating_point(out):
            low, high = torch.aminmax(sample_rows(out.detach()))
            inside = self.output_range == (0.0, 1.0) and self.first_activation != "linear"
            self.output_range = (
                min(self.output_range[0], float(low)),
                max(self.output_range[1], float(high)),
            )
            if inside and self.spec_sent and self.output_range != (0.0, 1.0):
                # Raw scores that started inside [0, 1] (_activation): the checks made
                # while training runs (early.py) must read "linear" from now on.
                self._emit_spec()
        loss = (
            float(self.loss_value.detach())
            if isinstance(self.loss_value, torch.Tensor) and self.loss_value.numel() == 1
            else None
        )
        ratios, changed = [], None
        if self.snapshot:
            current = dict(self._model_params())
            changed = False
            for name, old in self.snapshot.items():
                new = current.get(name)
                if new is None:
                    continue
                new = sample_elements(new.detach())[0]
                if new.shape != old.shape:
                    continue
                delta = torch.linalg.vector_norm(new - old)
                changed = changed or bool(delta > 0)
                ratios.append(
                    NamedValue(name, float(delta / torch.linalg.vector_norm(old).clamp_min(1e-12)))
                )
        pred = labels = None
        output, target = self._step_batch()
        if self._sampling() and output is not None and output.ndim >= 1:
            out = sample_rows(output.detach())
            rows = out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(-1, 1)
            classes = self._classes(rows)
            pred = tuple(int(c) for c in torch.bincount(classes, minlength=2).tolist())
            labels = self._label_counts(target)
        regression = self.loss_name is not None and self.loss_name[0] in ("mse", "l1")
        spread = self._target_spread() if regression and self._sampling() else None
        zeroed = self._zeroed()
        return StepRecord(
            step=self.steps,
            loss=loss,
            metric=None,
            pred_counts=pred,
            label_counts=labels,
            grad_norms=tuple(getattr(self, "grad_norms", [])),
            update_ratios=tuple(ratios),
            params_changed=changed,
            nonfinite=loss is not None and not math.isfinite(loss),
            dead_fractions=tuple(NamedValue(k, v) for k, v in self.dead.items()),
            saturated_fractions=tuple(NamedValue(k, v) for k, v in self.saturated.items()),
            grads_zeroed=zeroed,
            target_spread=spread,
        )

    def _read_terms(self, total: torch.Tensor) -> None:
        """The criterion terms the backward loss is made of, found near the top of its
        graph: the data loss is their sum, and their batches are this step's."""
        order = {id(v): i for i, (_, _, v) in enumerate(self.terms)}
        # Each node held while searching: the same node then has the same Python object.
        nodes = [v.grad_fn for _, _, v in self.terms]
        wanted = {id(n): term for n, term in zip(nodes, self.terms, strict=True)}
        found: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        queue, seen = [total.grad_fn], 0
        while queue and wanted and seen < GRAPH_NODES:
            node = queue.pop(0)
            seen += 1
            if node is None:
                continue
            if id(node) in wanted:
                found.append(wanted.pop(id(node)))
                continue
            queue.extend(n for n, _ in node.next_functions)
        del nodes
        self.terms = []
        if not found:
            return
        found.sort(key=lambda term: order[id(term[2])])  # the order of the calls
        self.step_terms.extend((o, t) for o, t, _ in found)
        if len(found) == 1:
            self.loss_value = found[0][2]
            return
        with torch.no_grad():
            self.loss_value = sum((v.detach() for _, _, v in found[1:]), found[0][2].detach())

    def _step_batch(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The outputs and targets of this step. A loss of several criterion terms (a
        discriminator's real and fake halves) is read over all of them: each alone holds
        one class."""
        terms = [
            (o, t)
            for o, t in self.step_terms
            if o.ndim >= 1 and t.ndim >= 1 and o.shape[0] == t.shape[0]
        ]
        if len(terms) < 2 or len(terms) != len(self.step_terms):
            return self.output, self.target
        last_o, last_t = terms[-1]
        if any(
            o.shape[1:] != last_o.shape[1:]
            or t.shape[1:] != last_t.shape[1:]
            or t.dtype != last_t.dtype
            for o, t in terms
        ):
            return self.output, self.target
        with torch.no_grad():
            return (
                torch.cat([sample_rows(o.detach()) for o, _ in terms]),
                torch.cat([sample_rows(t.detach()) for _, t in terms]),
            )

    def _target_spread(self) -> tuple[float, float, float] | None:
        """Spread of this batch's real-valued targets: the trivial regressor's MSE and L1."""
        target = self.target
        if target is None or not torch.is_floating_point(target) or target.ndim == 0:
            return None
        # A strided sample of rows, as the other statistics: a median over a
        # 1,000,000-row batch cost about half a step of Linear(64, 1) on it (bench/memory.py
        # bigbatch: 1.06x training time; measured 142 ms full vs 0.15 ms sampled, loaded CPU).
        # The row count stated is the sample's, so the rules' standard errors hold.
        rows = sample_rows(target.detach())
        rows = rows.reshape(rows.shape[0], -1).double()
        if rows.shape[0] < 2:
            return None
        variance = float(rows.var(dim=0).mean())  # unbiased: batch means are estimates too
        deviation = float((rows - rows.median(dim=0).values).abs().mean())
        return (float(rows.shape[0]), variance, deviation)

    def _label_counts(self, target: torch.Tensor | None) -> tuple[int, ...] | None:
        if target is None or target.ndim == 0:
            return None
        t = sample_rows(target.detach())
        if t.ndim == 2 and t.shape[1] > 1:
            t = t.argmax(dim=1)
        t = t.reshape(-1)
        if torch.is_floating_point(t):
            if not bool(torch.all(t == t.round())) or t.numel() == 0:
                return None
            t = t.long()
        if t.numel() == 0 or int(t.min()) < 0:
            return None
        return tuple(int(c) for c in torch.bincount(t).tolist())

    # ------------------------------------------------------------ the model

    def _model_params(self) -> list[tuple[str, torch.Tensor]]:
        if self.model is not None:
            return list(self.model.named_parameters())
        return list(self.hand_params or []) if self.hand_stepped and not self.hand_off else []

    def _emit_layers(self) -> None:
        model = self.model
        if model is None:
            return
        weights = [
            (n, m)
            for n, m in model.named_modules()
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))
        ]
        for i, (name, layer) in enumerate(weights):
            w = layer.weight.detach()
            units = w.reshape(w.shape[0], -1)
            distinct = distinct_rows(units)
            self.session.emit(
                LayerInit(
                    name=name,
                    fan_in=int(units.shape[1]),
                    std=float(sample_elements(w)[0].float().std()),
                    identical_units=int(
                        units.shape[0] - distinct + (1 if distinct < units.shape[0] else 0)
                    ),
                    n_units=int(units.shape[0]),
                    is_last=i == len(weights) - 1,
                )
            )

    def _emit_spec(self) -> None:
        model = self.model or self.last_root
        hand = self.hand_stepped and not self.hand_off
        bare = model is None and hand  # bare tensors updated by hand: no Module
        if not bare and (model is None or self.loss_name is None and not self.optimizers):
            return
        held = {id(p) for opt in self.optimizers for p in self._params_of(opt)}
        params = self._model_params() if model is None else list(model.named_parameters())
        trainable = [(n, p) for n, p in params if p.requires_grad]
        missing = tuple(n for n, p in trainable if id(p) not in held) if self.optimizers else ()
        output = self.loss_output if self.loss_output is not None else self.output
        opt = self.optimizers[0] if self.optimizers else None
        self.session.emit(
            ModelSpec(
                name=type(model).__name__
                if model is not None
                else f"tensors {', '.join(n for n, _ in params[:4])}"
                + ("..." if len(params) > 4 else ""),
                n_params=sum(p.numel() for _, p in params),
                output_width=int(output.reshape(output.shape[0], -1).shape[1])
                if isinstance(output, torch.Tensor) and output.ndim >= 1
                else None,
                output_activation=self._activation(output),
                loss=self.loss_name[0] if self.loss_name else None,
                loss_expects=self._expects(),
                optimizer=type(opt).__name__ if opt else "hand-written" if hand else None,
                learning_rate=float(opt.param_groups[0].get("lr", float("nan")))
                if opt
                else self.hand_lr(),
                layers=()
                if model is None
                else tuple(
                    LayerSpec(n or type(m).__name__, type(m).__name__, self.locations.get(m))
                    for n, m in model.named_modules()
                    if not any(True for _ in m.children())
                ),
                output_shape=tuple(output.shape) if isinstance(output, torch.Tensor) else (),
                target_shape=tuple(self.target.shape)
                if isinstance(self.target, torch.Tensor)
                else (),
                loss_location=self.loss_location,
                optimizer_location=self.optimizer_location,
                last_layer=type(self.last_leaf).__name__ if self.last_leaf is not None else None,
                params_without_optimizer=missing,
                unregistered=self._unregistered(model),
                eval_in_train_mode=self.eval_in_train_mode,
                optimizer_holds_model=None
                if not self.optimizers
                else any(id(p) in held for _, p in trainable),
                steps_without_grad=self.steps_without_grad,
                handwritten_loss=self.loss_name is None and self.backward_calls > 0,
                penalty_share=self.penalty_share,
                weight_decay=float(opt.param_groups[0].get("weight_decay", 0.0) or 0.0)
                if opt
                else None,
                same_batch_every_step=len(self.inputs_seen) == 1 if self.steps >= 2 else None,
                batch_rows=next(iter(self.inputs_seen))[1][0] if self.inputs_seen else None,
                linear_stack=self.links[1] > 0 and self.links[0] == 0 if sum(self.links) else None,
                other_models=tuple(self.others.values()),
                experiments_skipped=self.trials_skipped,
            )
        )
        self.spec_sent = True

    def _activation(self, output: Any) -> str | None:
        activation = self.first_activation or (
            infer_activation(output) if isinstance(output, torch.Tensor) else None
        )
        low, high = self.output_range
        if activation == "sigmoid" and (low < 0 or high > 1):
            return "linear"  # raw scores that happened to start inside [0, 1]
        return activation

    def _classes(self, rows: torch.Tensor) -> torch.Tensor:
        """Predicted classes: argmax, or for one unit its threshold (0.5 on a sigmoid, else 0)."""
        if rows.shape[1] > 1:
            return rows.argmax(dim=1)
        threshold = 0.5 if self._activation(rows) == "sigmoid" else 0.0
        return (rows[:, 0] > threshold).long()

    def _first_activation(self, out: torch.Tensor) -> str:
        # Judged on the first batch: a trained raw output can drift into [0, 1].
        self.first_activation = infer_activation(out)
        return self.first_activation

    def _expects(self) -> str | None:
        if self.loss_name is None:
            return None
        name, expects = self.loss_name
        target = self.target
        if (
            name in ("cross_entropy", "nll")
            and isinstance(target, torch.Tensor)
            and not torch.is_floating_point(target)
        ):
            return "ids" if name == "cross_entropy" else "log_probabilities"
        return expects
