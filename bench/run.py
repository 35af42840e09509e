"""The diagnosis benchmark: every case through `nndoctor run`, scored, written up.

For each case listed (through bench/manifest.json) this runs

    python -m nndoctor run SCRIPT --out RUN_DIR --quiet      (timed)
    python SCRIPT                                            (timed, the plain run)

reads RUN_DIR/report.json and scores it:

  found    ids of the warning/error findings, in the report's order
  rank     1-based position of each expected id in `found` (null: not found)
  top1     every expected id within the first len(expected) of `found`
  top2     every expected id within the first len(expected) + 1 of `found`
  pass     buggy case: top2; healthy case: `found` is empty (else a false alarm)
  detect   the first optimizer/recorded step from which the diagnosis of the
           trace so far (what `nndoctor report` would say had the run been
           killed there) ranks an expected id among its warning/error findings
           and keeps doing so up to the end of the run; 0 = before the first
           step (configuration checks). Computed by replaying RUN_DIR/trace.jsonl.

and writes bench/results.json and BENCHMARKS.md (per-case table, summary, the
step-time overhead measured by bench/overhead.py, and published figures of
research tools on their own benchmarks).

    python bench/run.py                 # all cases, 2 at a time
    python bench/run.py --fast          # 4 cases: a smoke test (writes bench/results-fast.json)
    python bench/run.py --only seed_00  # cases whose path contains the text
    python bench/run.py --strict        # exit 1 when a case fails (for CI)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBLEM = ("error", "warning")
FAST_SIZE = 4


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    script: str  # relative to ROOT
    framework: str
    expected: list[str]
    healthy: bool
    description: str = ""
    args: list[str] = field(default_factory=list)
    plain: Any = None  # what the manifest recorded for a plain run
    known_failure: str | None = None  # what nndoctor still gets wrong here, and why
    source: str = ""

    @property
    def name(self) -> str:
        return self.script


def load_cases(manifest: Path) -> tuple[list[Case], list[str], list[str]]:
    """The cases of bench/manifest.json, the fast list, and notes on what was skipped."""
    spec = json.loads(manifest.read_text(encoding="utf-8"))
    cases: list[Case] = []
    notes: list[str] = []
    for entry in spec.get("cases", []):
        script = ROOT / entry["script"]
        if not script.is_file():
            notes.append(f"{entry['script']} does not exist, skipped")
            continue
        cases.append(
            Case(
                script=entry["script"],
                framework=entry["framework"],
                expected=list(entry.get("expected") or []),
                healthy=bool(entry.get("healthy", not entry.get("expected"))),
                description=entry.get("description", ""),
                args=[str(a) for a in entry.get("args", [])],
                plain=entry.get("plain"),
                known_failure=entry.get("known_failure"),
                source=str(manifest.name),
            )
        )
    return cases, list(spec.get("fast", [])), notes


def fast_subset(cases: list[Case], wanted: list[str]) -> list[Case]:
    """The cases named in `fast`, topped up with buggy/healthy cases of other frameworks."""
    chosen = [c for c in cases if c.script in wanted]
    others = [c for c in cases if c not in chosen and c.framework != "numpy"] + [
        c for c in cases if c not in chosen and c.framework == "numpy"
    ]
    for want_healthy in (False, True):
        if len(chosen) >= FAST_SIZE:
            break
        pick = next((c for c in others if c.healthy == want_healthy and c not in chosen), None)
        if pick is not None:
            chosen.append(pick)
    return chosen[:FAST_SIZE]


# ---------------------------------------------------------------- running


def _env(threads: int) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    if threads > 0:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(threads)
    return env


def _timed(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as expired:
        code = None
        out = (
            (expired.stdout or b"").decode(errors="replace")
            if isinstance(expired.stdout, bytes)
            else (expired.stdout or "")
        )
        err = f"timed out after {timeout:.0f} s"
    return {
        "exit_code": code,
        "seconds": round(time.perf_counter() - start, 3),
        "stdout_tail": out[-600:],
        "stderr_tail": err[-1200:],
    }


def run_case(
    case: Case, work: Path, env: dict[str, str], timeout: float, plain: bool
) -> dict[str, Any]:
    out = work / Path(case.script).with_suffix("").as_posix().replace("/", "__")
    if out.exists():
        shutil.rmtree(out)
    doctor = _timed(
        [
            sys.executable,
            "-m",
            "nndoctor",
            "run",
            "--out",
            str(out),
            "--quiet",
            case.script,
            *case.args,
        ],
        env,
        timeout,
    )
    bare = _timed([sys.executable, case.script, *case.args], env, timeout) if plain else None
    result = score(case, out, doctor, bare)
    return result


# ---------------------------------------------------------------- scoring


def problem_ids(report: dict[str, Any]) -> list[str]:
    return [f["id"] for f in report.get("findings", []) if f.get("severity") in PROBLEM]


def score(
    case: Case, out: Path, doctor: dict[str, Any], bare: dict[str, Any] | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "script": case.script,
        "framework": case.framework,
        "description": case.description,
        "source": case.source,
        "healthy_expected": case.healthy,
        "expected": case.expected,
        "manifest_plain": case.plain,
        "known_failure": case.known_failure,
        "nndoctor_exit_code": doctor["exit_code"],
        "seconds_nndoctor": doctor["seconds"],
        "plain_exit_code": bare["exit_code"] if bare else None,
        "seconds_plain": bare["seconds"] if bare else None,
        "found": None,
        "ranks": None,
        "top1": False,
        "top2": False,
        "pass": False,
        "false_alarm": None,
        "summary": None,
        "error": None,
        "detect_step": None,
        "total_steps": None,
        "detect_step_fraction": None,
        "detect_id": None,
    }
    report_path = out / "report.json"
    if not report_path.is_file():
        result["error"] = (
            "no report.json: " + (doctor["stderr_tail"].strip().splitlines() or ["(no output)"])[-1]
        )
        return result
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except ValueError as error:
        result["error"] = f"unreadable report.json: {error}"
        return result
    found = problem_ids(report)
    result["found"], result["summary"] = found, report.get("summary")
    result["framework_reported"] = report.get("framework")
    if doctor["exit_code"] not in (0, None) and not case.healthy:
        result["error"] = f"the script exited with {doctor['exit_code']} under nndoctor"
    if case.healthy:
        result["false_alarm"] = bool(found)
        result["pass"] = not found and doctor["exit_code"] == 0
        result["top1"] = result["top2"] = result["pass"]
    else:
        ranks = {i: (found.index(i) + 1 if i in found else None) for i in case.expected}
        n = len(case.expected)
        result["ranks"] = ranks
        result["top1"] = all(r is not None and r <= n for r in ranks.values())
        result["top2"] = all(r is not None and r <= n + 1 for r in ranks.values())
        result["pass"] = result["top2"]
        # Issue 8: is the true first cause's fix validated on a copy? (None: not tried)
        first = next((f for f in report["findings"] if f["id"] == case.expected[0]), None)
        result["first_cause_validated"] = first.get("validated") if first else None
        try:
            result.update(
                detection(
                    out / "trace.jsonl", case.expected, report.get("framework") or case.framework
                )
            )
        except Exception as error:  # noqa: BLE001 - the replay is extra; never lose the score
            result["detect_error"] = f"{type(error).__name__}: {error}"
    return result


def _checkpoints(step_positions: list[int], total_events: int) -> list[tuple[int, int]]:
    """(steps seen, event prefix length) pairs to replay: every early step, then geometric."""
    points: list[tuple[int, int]] = []
    first = step_positions[0] if step_positions else total_events
    points.append((0, first))  # configuration only, before the first step
    n = len(step_positions)
    steps = set(range(1, min(n, 20) + 1))
    k = 20.0
    while k < n:
        k *= 1.25
        steps.add(min(n, int(k)))
    steps.add(n)
    for s in sorted(steps):
        if s <= 0:
            continue
        end = step_positions[s] if s < n else total_events  # the last one: the whole trace
        points.append((s, end))
    if not points or points[-1][1] != total_events:
        points.append((n, total_events))
    return points


def detection(trace: Path, expected: list[str], framework: str) -> dict[str, Any]:
    """Replay the trace: from which step on does the diagnosis name an expected cause?"""
    from nndoctor.diagnosis import diagnose
    from nndoctor.observations import StepRecord, fold
    from nndoctor.session import read_trace

    if not trace.is_file():
        return {"detect_error": "no trace.jsonl"}
    events, _ = read_trace(trace)
    positions = [i for i, e in enumerate(events) if isinstance(e, StepRecord)]
    total = len(positions)
    cache: dict[int, set[str]] = {}

    def named(end: int) -> set[str]:
        if end not in cache:
            report = diagnose(fold(events[:end], framework))
            cache[end] = {f.id for f in report.findings if f.is_problem} & set(expected)
        return cache[end]

    points = _checkpoints(positions, len(events))
    seen = [(s, end, named(end)) for s, end in points]
    best: tuple[int, str] | None = None
    for ident in expected:
        # the earliest checkpoint from which `ident` is named at every later checkpoint
        start = None
        for s, end, ids in seen:
            if ident in ids:
                start = (s, end) if start is None else start
            else:
                start = None
        if start is None:
            continue
        s, end = start
        # refine between the previous checkpoint and this one (bisection on steps)
        prev = [p for p in seen if p[0] < s]
        if prev and s > 0:
            lo = prev[-1][0]  # not named there
            hi = s
            while hi - lo > 1:
                mid = (lo + hi) // 2
                mid_end = positions[mid] if mid < total else len(events)
                if ident in named(mid_end):
                    hi = mid
                else:
                    lo = mid
            s = hi
        if best is None or s < best[0]:
            best = (s, ident)
    if best is None:
        return {"total_steps": total, "detect_step": None, "detect_step_fraction": None}
    step, ident = best
    fraction = 0.0 if step == 0 else (round(step / total, 4) if total else None)
    return {
        "total_steps": total,
        "detect_step": step,
        "detect_step_fraction": fraction,
        "detect_id": ident,
    }


# ---------------------------------------------------------------- summary and writing


def summarize(results: list[dict[str, Any]], overhead: dict[str, Any] | None) -> dict[str, Any]:
    buggy = [r for r in results if not r["healthy_expected"]]
    healthy = [r for r in results if r["healthy_expected"]]
    fractions = [
        r["detect_step_fraction"] for r in buggy if r.get("detect_step_fraction") is not None
    ]
    ov = (overhead or {}).get("summary", {})

    def frac(flag: str) -> float | None:
        return round(sum(bool(r.get(flag)) for r in buggy) / len(buggy), 4) if buggy else None

    def frac_tried() -> float | None:
        tried = [r for r in buggy if r.get("first_cause_validated") is not None]
        return round(len(tried) / len(buggy), 4) if buggy else None

    return {
        "top1": frac("top1"),
        "top2": frac("top2"),
        "healthy_false_alarms": sum(bool(r["false_alarm"]) for r in healthy),
        "first_cause_validated": frac("first_cause_validated"),
        "first_cause_tried": frac_tried(),
        "median_detect_step_fraction": round(statistics.median(fractions), 4)
        if fractions
        else None,
        "overhead_default": ov.get("overhead_default"),
        "overhead_full": ov.get("overhead_full"),
        "cases": len(results),
        "buggy": len(buggy),
        "healthy": len(healthy),
        "failed": [r["script"] for r in results if not r["pass"]],
    }


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


PUBLISHED = HERE / "published.md"  # figures of research tools, kept by hand


def markdown(
    results: list[dict[str, Any]],
    summary: dict[str, Any],
    meta: dict[str, Any],
    overhead: dict[str, Any] | None,
    notes: list[str],
) -> str:
    lines = [
        "# nndoctor benchmarks",
        "",
        f"Generated by `make bench` (bench/overhead.py, then bench/run.py) on {meta['date']}: "
        f"nndoctor {meta['nndoctor']}, commit {meta['git']['commit']}"
        f"{' (uncommitted changes)' if meta['git']['dirty'] else ''}, Python {meta['python']}, "
        f"{meta['machine']}, {meta['cpus']} CPUs, cases run {meta['jobs']} at a time with "
        f"{meta['threads']} BLAS/OpenMP thread(s) each.",
        "",
        "## Summary",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| top-1 (buggy cases with every expected cause in the first len(expected) "
        f"problems) | {_fmt(summary['top1'])} | |",
        f"| top-2 (… in the first len(expected)+1 problems) | {_fmt(summary['top2'])} | ≥ 0.95 |",
        f"| healthy cases with a warning/error (false alarms) | "
        f"{summary['healthy_false_alarms']} of {summary['healthy']} | 0 |",
        f"| median detection step / run length (buggy cases) | "
        f"{_fmt(summary['median_detect_step_fraction'])} | |",
        f"| buggy cases whose true first cause's fix was validated on a copy | "
        f"{_fmt(summary['first_cause_validated'])} (tried in {_fmt(summary['first_cause_tried'])}) "
        "| ≥ 0.80 |",
        f"| step-time overhead, default level (median ratio, worst model) | "
        f"{_fmt(summary['overhead_default'], 3)} | ≤ 1.05 |",
        f"| step-time overhead, every step measured | {_fmt(summary['overhead_full'], 3)} | |",
        "",
        f"{summary['buggy']} buggy and {summary['healthy']} healthy cases. A problem is a "
        "finding of severity warning or error, in the report's order. Detection step: the "
        "first step from which the diagnosis of the trace so far (what `nndoctor report` "
        "would say had the run been killed there) names an expected cause and keeps naming "
        "it to the end; 0 means before the first training step.",
        "",
    ]
    if notes:
        lines += ["Skipped sources:", ""] + [f"- {n}" for n in notes] + [""]
    if overhead:
        lines += [
            "## Step-time overhead (bench/overhead.py)",
            "",
            f"Plain and instrumented training alternate in one process "
            f"({overhead.get('rounds')} rounds after a warm-up round, torch "
            f"{overhead.get('torch')}, {overhead.get('torch_threads')} torch thread, timer: "
            f"{overhead.get('timer')}). Ratio = instrumented / plain time for the same number "
            "of steps in the same round.",
            "",
            "| model | plain ms/step | default: median (min–max) | full: median (min–max) "
            "| fresh `nndoctor run` of N steps: median |",
            "|---|---|---|---|---|",
        ]
        for name, res in overhead.get("models", {}).items():
            d, f, r = res["default"]["cpu"], res["full"]["cpu"], res["run"]["cpu"]
            lines.append(
                f"| {name}: {res['description']} | {res['plain_ms_per_step']:.3f} | "
                f"{d['median']:.3f} ({d['min']:.3f}–{d['max']:.3f}) | "
                f"{f['median']:.3f} ({f['min']:.3f}–{f['max']:.3f}) | "
                f"{r['median']:.3f} (N = {res['steps_per_block']}) |"
            )
        lines.append("")
    lines += [
        "## Cases",
        "",
        "| case | fw | expected | found (in order) | ranks | result | detected at step "
        "| plain s | nndoctor s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        found = r["found"]
        found_s = (
            ", ".join(found[:5]) + (" …" if found and len(found) > 5 else "")
            if found
            else ("–" if found is None else "(none)")
        )
        ranks = ", ".join(_fmt(v) for v in r["ranks"].values()) if r["ranks"] else ""
        if r["healthy_expected"]:
            verdict = "pass (healthy)" if r["pass"] else "FALSE ALARM"
        else:
            verdict = "top-1" if r["top1"] else ("top-2" if r["top2"] else "FAIL")
        if r.get("error") and not r["pass"]:
            verdict += f" ({r['error']})"
        step = (
            ""
            if r["healthy_expected"]
            else (
                f"{r['detect_step']} / {r['total_steps']}"
                if r.get("detect_step") is not None
                else "–"
            )
        )
        lines.append(
            f"| `{r['script']}` | {r['framework']} | {', '.join(r['expected']) or 'healthy'} "
            f"| {found_s} | {ranks} | {verdict} | {step} | {_fmt(r['seconds_plain'], 1)} "
            f"| {_fmt(r['seconds_nndoctor'], 1)} |"
        )
    failed = [r for r in results if not r["pass"]]
    lines += ["", "## Targets not met, and why", ""]
    misses = []
    if (summary.get("top2") or 0) < 0.95:
        misses.append(
            f"- Top-2 {_fmt(summary['top2'])} < 0.95: the cases under *Failing cases*, each "
            "with what nndoctor gets wrong there."
        )
    if (summary.get("overhead_default") or 0) > 1.05:
        misses.append(
            f"- Step-time overhead {_fmt(summary['overhead_default'], 3)} > 1.05 on the worst "
            "model, a tiny MLP whose plain step is ~0.4 ms: the probe adds a fixed amount of "
            "Python per step (the optimizer post-step hook, the loss wrapper, the zero_grad and "
            "backward wrappers), which is a large share of so short a step and a small one of "
            "a real model's (see the CNN row)."
        )
    if (summary.get("first_cause_validated") or 0) < 0.8:
        misses.append(
            "- True first cause validated by a fix trial in "
            f"{_fmt(summary['first_cause_validated'])} of buggy cases (< 0.80): see below."
        )
    lines += misses or ["None."]
    lines += ["", "## Buggy cases whose first cause was not validated", "", *_unvalidated(results)]
    lines += ["", "## Failing cases", ""]
    if not failed:
        lines.append("None.")
    for r in failed:
        if r["healthy_expected"]:
            why = f"healthy, but nndoctor reported {', '.join(r['found'] or [])}"
        elif r.get("found") is None:
            why = r.get("error") or "no report"
        else:
            missing = [
                i for i, k in (r["ranks"] or {}).items() if k is None or k > len(r["expected"]) + 1
            ]
            why = (
                f"expected {', '.join(missing)} within the first "
                f"{len(r['expected']) + 1}; found {', '.join(r['found']) or 'nothing'}"
            )
        lines.append(f"- `{r['script']}`: {why}.")
        if r.get("known_failure"):
            lines.append(f"  Known: {r['known_failure']}")
    lines += ["", PUBLISHED.read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines)


def _unvalidated(results: list[dict]) -> list[str]:
    untried = [
        r for r in results if not r["healthy_expected"] and r.get("first_cause_validated") is None
    ]
    failed_trial = [r for r in results if r.get("first_cause_validated") is False]
    return [
        "- No trial: "
        + (", ".join(f"`{r['script']}` ({r['expected'][0]})" for r in untried) or "none")
        + " (no mechanical fix for the cause, a loss written by hand that a copy cannot "
        "replay, the user's code cannot take the fix, a net too large for a finite-difference "
        "gradient, a fault the backend already masks, or the unfixed copy is already at the "
        "ceiling on the cached batches).",
        "- The fix did not beat the margin: "
        + (", ".join(f"`{r['script']}` ({r['expected'][0]})" for r in failed_trial) or "none")
        + ".",
    ]


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the nndoctor diagnosis benchmark.")
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.json")
    parser.add_argument("--fast", action="store_true", help=f"only {FAST_SIZE} cases (smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only cases whose path contains this text (repeatable)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="cases run at a time (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OMP/MKL threads per case (default 1; 0 leaves them alone)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain timing runs")
    parser.add_argument(
        "--results",
        type=Path,
        help="default bench/results.json (bench/results-fast.json with --fast or --only)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="default BENCHMARKS.md for a full run; none with --fast/--only unless given",
    )
    parser.add_argument("--overhead", type=Path, default=HERE / "overhead.json")
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any case fails")
    parser.add_argument(
        "--render",
        action="store_true",
        help="only write BENCHMARKS.md again from bench/results.json (after a text change)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.render:
        return render(
            args.results or HERE / "results.json",
            args.markdown or ROOT / "BENCHMARKS.md",
            args.overhead,
            args.manifest,
        )

    cases, fast, notes = load_cases(args.manifest)
    partial = args.fast or bool(args.only)
    if args.fast:
        cases = fast_subset(cases, fast)
    if args.only:
        cases = [c for c in cases if any(text in c.script for text in args.only)]
    if not cases:
        print("bench: no cases to run", file=sys.stderr)
        return 2
    results_path = args.results or HERE / ("results-fast.json" if partial else "results.json")
    markdown_path = args.markdown or (None if partial else ROOT / "BENCHMARKS.md")
    jobs = max(1, min(args.jobs, 2))  # the machine is shared: never more than 2 at a time
    env = _env(args.threads)
    for note in notes:
        print(f"bench: {note}", file=sys.stderr)
    print(f"bench: {len(cases)} cases, {jobs} at a time", file=sys.stderr, flush=True)

    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="nndoctor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: list[dict[str, Any]] = [None] * len(cases)  # type: ignore[list-item]

    def task(i: int) -> None:
        r = run_case(cases[i], work, env, args.timeout, not args.no_plain)
        results[i] = r
        tag = "ok  " if r["pass"] else "FAIL"
        print(
            f"  {tag} {r['script']}: expected {r['expected'] or 'healthy'}, found "
            f"{r['found']}  ({r['seconds_nndoctor']:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(task, range(len(cases))))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    overhead = None
    if args.overhead.is_file():
        overhead = json.loads(args.overhead.read_text(encoding="utf-8"))
    summary = summarize(results, overhead)
    from nndoctor import __version__

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "nndoctor": __version__,
        "git": _git(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "jobs": jobs,
        "threads": args.threads,
        "seconds": round(time.perf_counter() - started, 1),
        "manifest": str(args.manifest.resolve().relative_to(ROOT))
        if args.manifest.resolve().is_relative_to(ROOT)
        else str(args.manifest),
        "subset": "fast" if args.fast else (args.only or None),
        "skipped_sources": notes,
    }
    doc = {"meta": meta, "summary": summary, "cases": results}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if markdown_path is not None:
        markdown_path.write_text(
            markdown(results, summary, meta, overhead, notes) + "\n", encoding="utf-8"
        )
    print(json.dumps({k: v for k, v in summary.items() if k != "failed"}))
    if summary["failed"]:
        print("failed: " + ", ".join(summary["failed"]))
    shown = results_path.relative_to(ROOT) if results_path.is_relative_to(ROOT) else results_path
    also = f" and {markdown_path.name}" if markdown_path else ""
    print(f"wrote {shown}{also} in {meta['seconds']:.0f} s")
    return 1 if args.strict and summary["failed"] else 0


def render(results_path: Path, markdown_path: Path, overhead_path: Path, manifest: Path) -> int:
    """BENCHMARKS.md from a results file already written: the numbers stay as measured."""
    doc = json.loads(results_path.read_text(encoding="utf-8"))
    overhead = None
    if overhead_path.is_file():
        overhead = json.loads(overhead_path.read_text(encoding="utf-8"))
    known = {c.script: c.known_failure for c in load_cases(manifest)[0]}
    for r in doc["cases"]:
        r.setdefault("known_failure", known.get(r["script"]))
    text = markdown(
        doc["cases"], doc["summary"], doc["meta"], overhead, doc["meta"]["skipped_sources"]
    )
    markdown_path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {markdown_path.name} from {results_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
