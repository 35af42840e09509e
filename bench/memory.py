"""Peak memory and training time of a script with and without nndoctor (issue 14, item 3).

Each scenario is a small training script (this file with `--workload NAME`),
run in a fresh process three ways:
  plain            python bench/memory.py --workload NAME
  no-experiments   nndoctor run --no-experiments bench/memory.py --workload NAME
  default          nndoctor run bench/memory.py --workload NAME  (experiments and fix
                   trials on copies after the script, within their memory budget)
Peak RSS is the child's own maximum resident set (os.wait4's rusage, so one
child's peak never leaks into the next); training time is measured by the
script around its training loop only and printed: CPU time of the process
(time.process_time, one BLAS/OpenMP thread), which waiting for a core on a
shared machine does not inflate; wall-clock seconds are kept in the JSON too. Each way runs
`--repeat` times, alternating, and the median of each is kept; the ratios are
against plain.

Scenarios (issue 14):
  mlp50m    a 50M-parameter MLP (1024-4096-4096-4096-10, ReLU), SGD, batch 64, 5 steps
  bigbatch  Linear(64, 1) on one 1,000,000 x 64 batch, MSE, SGD, 10 full-batch steps

    python bench/memory.py [--repeat 3] [--only mlp50m] [--out bench/memory.json]

Writes bench/memory.json and the "Memory and time" section of BENCHMARKS.md
(the rest of that file is left as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 0
TARGET_RSS = 1.10  # issue 14: default monitoring <= 1.1x peak RSS
TARGET_TIME = 1.05  # issue 14 and DESIGN.md: <= 1.05x training time
SECTION = "## Memory and time (bench/memory.py)"
MARKER = "TRAIN_CPU_SECONDS="

SCENARIOS = {
    "mlp50m": "50M-parameter MLP 4096-4096-4096-4096-10 (ReLU), SGD, batch 64, 5 steps",
    "bigbatch": "Linear(64, 1) on one 1,000,000 x 64 batch, MSE, SGD, 10 full-batch steps",
}
WAYS: dict[str, list[str] | None] = {  # nndoctor run's options; None: plain python
    "plain": None,
    "no-experiments": ["--no-experiments"],
    "default": [],
}


# ---------------------------------------------------------------- the training scripts


def workload(name: str, rows: int) -> None:
    """Train one scenario as a user's script does; print the loop's seconds."""
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    if name == "mlp50m":
        model = nn.Sequential(
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, 10),
        )
        x = torch.randn(64, 4096, generator=gen)
        y = torch.randint(0, 10, (64,), generator=gen)
        loss_fn: nn.Module = nn.CrossEntropyLoss()
        lr, steps = 0.01, 5
    else:
        model = nn.Linear(64, 1)
        x = torch.randn(rows, 64, generator=gen)
        y = x[:, :1] * 0.5 + 0.1 * torch.randn(rows, 1, generator=gen)
        loss_fn, lr, steps = nn.MSELoss(), 0.1, 10
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    params = sum(p.numel() for p in model.parameters())
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{MARKER}{cpu:.6f} WALL={wall:.6f} PARAMS={params} LOSS={loss.item():.6g}", flush=True)


# ---------------------------------------------------------------- measuring


def measure_once(name: str, way: str, folder: Path) -> dict[str, Any]:
    """One fresh process: its peak RSS (MB) and the training seconds it printed."""
    command = [sys.executable, str(Path(__file__).resolve()), "--workload", name]
    options = WAYS[way]
    if options is not None:
        doctor = ["-m", "nndoctor", "run", "--quiet", "--out", str(folder / f"{name}-{way}")]
        command[1:1] = [*doctor, *options]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{errors[-2000:]}")
    found = re.search(MARKER + r"([0-9.]+) WALL=([0-9.]+)", text)
    if found is None:
        raise RuntimeError(f"{' '.join(command)} printed no {MARKER}:\n{text[-2000:]}")
    # ru_maxrss is in kilobytes on Linux.
    return {
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "train_seconds": float(found.group(1)),
        "train_wall_seconds": float(found.group(2)),
        **({} if options is None else experiments(folder / f"{name}-{way}" / "report.json")),
    }


def experiments(report_path: Path) -> dict[str, Any]:
    """What ran on copies after the script, from the run's report."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    skipped = [f["title"] for f in report["findings"] if f["id"] == "experiments-skipped"]
    return {"experiments": [e["name"] for e in report["experiments"]], "skipped": skipped}


def measure(name: str, repeat: int, folder: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    for i in range(repeat):
        for way in WAYS:
            print(f"{name}: {way} ({i + 1}/{repeat}) ...", file=sys.stderr, flush=True)
            runs[way].append(measure_once(name, way, folder))
    result: dict[str, Any] = {"description": SCENARIOS[name], "runs": runs}
    last = runs["default"][-1]
    result["default_experiments"] = (
        f"skipped: {last['skipped'][0].split(': ', 1)[-1]}"
        if last["skipped"]
        else f"ran: {', '.join(last['experiments']) or 'none'}"
    )
    for way, values in runs.items():
        result[way] = {
            key: statistics.median(v[key] for v in values)
            for key in ("peak_rss_mb", "train_seconds", "train_wall_seconds")
        }
    plain = result["plain"]
    for way in ("no-experiments", "default"):
        result[way]["rss_ratio"] = result[way]["peak_rss_mb"] / plain["peak_rss_mb"]
        result[way]["time_ratio"] = result[way]["train_seconds"] / plain["train_seconds"]
    return result


def table(results: dict[str, Any]) -> str:
    lines = [
        "| scenario | plain: peak RSS, training CPU s | `--no-experiments`: RSS ratio, time ratio "
        "| default `nndoctor run`: RSS ratio, time ratio | experiments after the script |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        p, n, d = r["plain"], r["no-experiments"], r["default"]
        lines.append(
            f"| {name}: {r['description']} | {p['peak_rss_mb']:.0f} MB, {p['train_seconds']:.3f} s "
            f"| {n['rss_ratio']:.3f}, {n['time_ratio']:.3f} "
            f"| {d['rss_ratio']:.3f}, {d['time_ratio']:.3f} | {r['default_experiments']} |"
        )
    return "\n".join(lines)


def budget() -> str:
    """The memory budget of the experiments, as the probe states it."""
    sys.path.insert(0, str(ROOT / "src"))
    from nndoctor.probes import torch as probe

    return (
        f"With experiments on, the probe keeps up to {probe.CACHED_BATCHES} distinct batches, "
        f"each a strided sample of at most {probe.CACHE_ROWS} rows and "
        f"{probe.CACHE_BATCH_BYTES >> 20} MB, on the CPU, and a CPU copy of the initial "
        f"weights; the experiments run only when {probe.TRIAL_COPIES} copies of the "
        f"parameters fit in {probe.TRIAL_BYTES >> 30} GB, else an `experiments-skipped` "
        "note says why. With `--no-experiments` nothing is copied."
    )


def markdown(doc: dict[str, Any]) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `python bench/memory.py` on {doc['date']}: commit {doc['commit']}, "
            f"Python {doc['python']}, {doc['machine']}, 1 BLAS/OpenMP thread, median of "
            f"{doc['repeat']} fresh processes per way. Peak RSS is the process's maximum "
            "resident set (for `nndoctor run` it includes the report and, by default, the "
            "experiments after the script); training time is the CPU time the script measures "
            "around its training loop (wall-clock in bench/memory.json). Ratios are "
            "against the plain script. Targets (issue 14): "
            f"`--no-experiments` and default monitoring <= {TARGET_RSS}x peak RSS and "
            f"<= {TARGET_TIME}x training time.",
            "",
            table(doc["scenarios"]),
            "",
            budget(),
            "",
        ]
    )


def write_section(path: Path, section: str) -> None:
    """Replace this section of BENCHMARKS.md (up to the next `## `), or append it."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# nndoctor benchmarks\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=HERE / "memory.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.workload:
        workload(args.workload, args.rows)
        return 0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            results[name] = measure(name, args.repeat, Path(tmp))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": commit or None,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "repeat": args.repeat,
        "targets": {"rss_ratio": TARGET_RSS, "time_ratio": TARGET_TIME},
        "scenarios": results,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    write_section(args.markdown, markdown(doc))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
