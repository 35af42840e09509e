"""Step-time overhead of nndoctor's PyTorch instrumentation, measured side by side.

One process trains the same model plainly and under the hooks that
`nndoctor run` installs (`nndoctor.probes.torch.TorchProbe` with a session
that streams `trace.jsonl`, as `nndoctor.cli._run` sets up through
`nndoctor.probes.imports.instrument`), alternating short blocks of N steps
many times so that machine noise hits every variant alike. The first round is
warm-up and discarded. For each model it reports the median ratio
instrumented/plain over the rounds and its spread (min, max, IQR).

Variants (each compared with the plain block of the same round):
  default  the default monitoring level in steady state: one probe for the
           whole measurement (re-installed for each block), so after its first
           20 fully measured steps it samples one step in ten, as in a long run.
  full     every step measured (SAMPLE_EVERY = 1): what the first 20 steps of
           any run cost, and the worst case.
  run      a fresh `instrument(session)` per block, exactly as `nndoctor run`
           does for a script of N steps: install, 20 dense steps, 1 in 10 after,
           spec emission and removal, all inside the timed block.

Timing is CPU time of this process (time.process_time) with one torch thread:
the machine may be shared, and CPU time is not inflated by time spent waiting
for a core. Wall-clock ratios are recorded as well.

    python bench/overhead.py [--rounds 15] [--quick] [--profile] [--out bench/overhead.json]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

import nndoctor
from nndoctor import session as _session
from nndoctor.probes import torch as torch_probe
from nndoctor.probes.imports import instrument

HERE = Path(__file__).resolve().parent
SEED = 0


# ---------------------------------------------------------------- workloads


class Workload:
    """A model, its optimizer and a data stream; `steps(n)` trains n minibatch steps."""

    def __init__(
        self,
        name: str,
        model: nn.Module,
        opt: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        batch: int,
        description: str,
    ) -> None:
        self.name, self.model, self.opt = name, model, opt
        self.x, self.y, self.batch = x, y, batch
        self.description = description
        self.loss_fn = nn.CrossEntropyLoss()
        self.gen = torch.Generator().manual_seed(SEED)  # own generator: no global RNG
        self.order = torch.randperm(len(x), generator=self.gen)
        self.pos = 0

    def _next(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pos + self.batch > len(self.x):
            self.order = torch.randperm(len(self.x), generator=self.gen)
            self.pos = 0
        idx = self.order[self.pos : self.pos + self.batch]
        self.pos += self.batch
        return self.x[idx], self.y[idx]

    def steps(self, n: int) -> float:
        """Train n steps as a user's loop does; returns the last loss."""
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        model.train()
        loss = None
        for _ in range(n):
            xb, yb = self._next()
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return float(loss.detach()) if loss is not None else float("nan")


def digits_like(gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """1797 x 64 inputs in [0, 16] and 10 classes: the shape of sklearn's load_digits."""
    try:
        from sklearn.datasets import load_digits

        data = load_digits()
        x = torch.tensor(data.data, dtype=torch.float32) / 16.0
        y = torch.tensor(data.target, dtype=torch.long)
        return x, y
    except Exception:  # noqa: BLE001 - scikit-learn is optional here
        centers = torch.rand(10, 64, generator=gen)
        y = torch.randint(0, 10, (1797,), generator=gen)
        x = (centers[y] + 0.3 * torch.randn(1797, 64, generator=gen)).clamp(0, 1)
        return x, y


def make_mlp() -> Workload:
    gen = torch.Generator().manual_seed(SEED)
    x, y = digits_like(gen)
    torch.manual_seed(SEED)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return Workload(
        "mlp",
        model,
        opt,
        x,
        y,
        32,
        "MLP 64-128-64-10 (ReLU), SGD+momentum, batch 32, load_digits (1797x64)",
    )


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.features(x), 1))


def make_cnn() -> Workload:
    gen = torch.Generator().manual_seed(SEED)
    n = 2048
    y = torch.randint(0, 10, (n,), generator=gen)
    # Synthetic 1x28x28 images: a class-dependent blob plus noise.
    protos = torch.rand(10, 1, 28, 28, generator=gen)
    x = protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=gen)
    torch.manual_seed(SEED)
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return Workload(
        "cnn",
        model,
        opt,
        x,
        y,
        64,
        "CNN conv(1->8)-pool-conv(8->16)-pool-linear, Adam, batch 64, "
        "synthetic 1x28x28 (2048 images)",
    )


WORKLOADS = {"mlp": (make_mlp, 200), "cnn": (make_cnn, 40)}


# ---------------------------------------------------------------- timing


def timed(fn: Any) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


class Instrumented:
    """The three instrumented variants; each `block(n)` is timed as a whole."""

    def __init__(self, work: Workload, folder: Path) -> None:
        self.work, self.folder = work, folder
        # default and full: one long-lived session + probe each, as in one long run.
        self.sessions = {
            mode: _session.Session("numpy", folder / mode) for mode in ("default", "full")
        }
        self.probes = {
            mode: torch_probe.TorchProbe(self.sessions[mode]) for mode in ("default", "full")
        }
        self.runs = 0

    def block(self, mode: str, n: int) -> None:
        if mode == "run":
            self.runs += 1
            session = _session.Session("numpy", self.folder / f"run{self.runs}")
            with instrument(session):
                _session.activate(session)
                try:
                    self.work.steps(n)
                finally:
                    _session.activate(None)
            session.close()
            return
        saved = torch_probe.SAMPLE_EVERY, torch_probe.LATE_FACTOR
        if mode == "full":
            torch_probe.SAMPLE_EVERY, torch_probe.LATE_FACTOR = 1, 1
        probe, session = self.probes[mode], self.sessions[mode]
        probe.install()
        _session.activate(session)
        try:
            self.work.steps(n)
        finally:
            _session.activate(None)
            probe.remove()
            torch_probe.SAMPLE_EVERY, torch_probe.LATE_FACTOR = saved

    def close(self) -> dict[str, Any]:
        info = {}
        for mode, session in self.sessions.items():
            session.close()
            info[mode] = {"steps_seen": self.probes[mode].steps, "events": len(session.events)}
        return info


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def summarize(ratios: list[float]) -> dict[str, Any]:
    q1, q3 = quartiles(ratios)
    return {
        "median": round(statistics.median(ratios), 4),
        "min": round(min(ratios), 4),
        "max": round(max(ratios), 4),
        "q1": round(q1, 4),
        "q3": round(q3, 4),
        "rounds": len(ratios),
    }


MODES = ("default", "full", "run")


def measure(name: str, rounds: int, steps: int, folder: Path) -> dict[str, Any]:
    work = WORKLOADS[name][0]()
    inst = Instrumented(work, folder / name)
    work.steps(steps)  # warm-up of the plain path (allocator, autograd caches)
    variants = ("plain", *MODES)
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    wall: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds + 1):  # round 0 is warm-up, discarded
        # rotate the order so no variant always runs right after another
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for v in order:
            fn = (lambda: work.steps(steps)) if v == "plain" else (lambda v=v: inst.block(v, steps))
            c, w = timed(fn)
            if r > 0:
                cpu[v].append(c)
                wall[v].append(w)
    probes = inst.close()
    plain_cpu, plain_wall = cpu["plain"], wall["plain"]
    result: dict[str, Any] = {
        "description": work.description,
        "steps_per_block": steps,
        "plain_ms_per_step": round(1000 * statistics.median(plain_cpu) / steps, 4),
        "probes": probes,
    }
    for mode in MODES:
        result[mode] = {
            "cpu": summarize([a / b for a, b in zip(cpu[mode], plain_cpu, strict=True)]),
            "wall": summarize([a / b for a, b in zip(wall[mode], plain_wall, strict=True)]),
            "ms_per_step": round(1000 * statistics.median(cpu[mode]) / steps, 4),
        }
    return result


def profile(name: str, steps: int, mode: str, top: int) -> str:
    """cProfile of instrumented steps: where the time goes."""
    work = WORKLOADS[name][0]()
    with tempfile.TemporaryDirectory() as tmp:
        inst = Instrumented(work, Path(tmp))
        inst.block(mode, 40)  # past the dense first steps
        prof = cProfile.Profile()
        prof.enable()
        inst.block(mode, steps)
        prof.disable()
        inst.close()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("nndoctor", top)
    return out.getvalue()


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'model':<5} {'variant':<8} {'median':>7} {'min':>7} {'max':>7} {'IQR':>15}"
        f" {'ms/step':>8} {'wall med':>9}",
    ]
    for name, res in results.items():
        lines.append(
            f"{name:<5} {'plain':<8} {1:>7.3f} {'':>7} {'':>7} {'':>15}"
            f" {res['plain_ms_per_step']:>8.3f}"
        )
        for mode in MODES:
            c, w = res[mode]["cpu"], res[mode]["wall"]
            iqr = f"{c['q1']:.3f}-{c['q3']:.3f}"
            lines.append(
                f"{'':<5} {mode:<8} {c['median']:>7.3f} {c['min']:>7.3f} {c['max']:>7.3f}"
                f" {iqr:>15} {res[mode]['ms_per_step']:>8.3f} {w['median']:>9.3f}"
            )
    return "\n".join(lines)


def _source_state() -> dict[str, Any]:
    """Which code was measured: git commit, uncommitted changes, hash of the probe file."""
    import hashlib
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=HERE.parent, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    probe = Path(torch_probe.__file__)
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "probe_sha256": hashlib.sha256(probe.read_bytes()).hexdigest()[:16],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="measured rounds (after 1 warm-up)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, fewer steps (a smoke test)")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of each model"
    )
    parser.add_argument("--out", type=Path, default=HERE / "overhead.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rounds = 5 if args.quick else args.rounds
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            steps = WORKLOADS[name][1] // (4 if args.quick else 1)
            print(
                f"measuring {name}: {rounds} rounds x {steps} steps per variant ...",
                file=sys.stderr,
                flush=True,
            )
            results[name] = measure(name, rounds, steps, Path(tmp))
    summary = {
        "overhead_default": max(r["default"]["cpu"]["median"] for r in results.values()),
        "overhead_full": max(r["full"]["cpu"]["median"] for r in results.values()),
    }
    doc = {
        "nndoctor": nndoctor.__version__,
        "source": _source_state(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "torch_threads": torch.get_num_threads(),
        "timer": "process_time (CPU); wall-clock ratios under 'wall'",
        "rounds": rounds,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "summary": summary,
        "models": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(
        f"\noverhead_default (worst model, median) = {summary['overhead_default']:.3f}; "
        f"overhead_full = {summary['overhead_full']:.3f}; torch threads = "
        f"{torch.get_num_threads()}; wrote {args.out}"
    )
    if args.profile:
        for name in args.models.split(","):
            print(f"\n=== cProfile: {name}, default level, steady state ===")
            print(profile(name, WORKLOADS[name][1] * 2, "default", 25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
