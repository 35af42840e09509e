"""Check the cases themselves: each buggy script shows its symptom, and its fix learns.

For every case of bench/manifest.json (or those whose path contains `--only TEXT`)
this runs the script plainly (`python SCRIPT`, one math thread, 60 s at most)
and, for a buggy case, its fix: the unified diff `fix` names
(bench/fixes/<framework>/<stem>.patch), applied to a temporary copy, or for a
seed question the `_fixed` script that `fix` names. It prints the last line
each run printed and whether the fix learns: its final metric (accuracy, R^2:
higher is better; loss, mse: lower) is clearly better than the plain run's, or
the plain run crashed and the fix did not.

    python bench/check_cases.py                  # every case, one at a time
    python bench/check_cases.py --only numpy     # cases whose path contains the text
    python bench/check_cases.py --write          # store the results in the manifest
    python bench/check_cases.py --missing --write  # only cases not checked yet

`--write` stores per case `plain_final` (the plain run's last line),
`plain_seconds`, and for buggy cases `fixed` (the fix's last line) and
`fix_learns`; `plain` (a hand-written summary of the plain run) is filled
only when it is empty. Uses the system `patch` when present, else a small
applier of its own (stdlib only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANIFEST = HERE / "manifest.json"
CLEARLY_BETTER = 0.05  # accuracy points (or a 10% lower loss) between plain and fixed
HIGHER_IS_BETTER = re.compile(r"(acc(uracy)?|r\^?2|recall|f1|auc)\b", re.IGNORECASE)
LOWER_IS_BETTER = re.compile(r"\b(loss|mse|mae|rmse|cost|error)\b", re.IGNORECASE)
NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf"


def default_fix(case: dict[str, Any]) -> str | None:
    script = Path(case["script"])
    if case["healthy"]:
        return None
    if script.parts[0] == "examples":
        return str(script.with_name(script.stem + "_fixed.py"))
    return f"bench/fixes/{case['framework']}/{script.stem}.patch"


def _env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = "1"
    return env


def run_plain(script: Path, timeout: float) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = None, "", f"timed out after {timeout:.0f} s"
    seconds = round(time.perf_counter() - start, 1)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if code == 0 and lines:
        final = lines[-1]
    else:
        errors = [line.strip() for line in err.splitlines() if line.strip()]
        final = f"exit {code}: {errors[-1] if errors else '(no output)'}"[:300]
    return {"exit_code": code, "final": final, "seconds": seconds}


# ---------------------------------------------------------------- patches


def apply_patch(source: Path, patch: Path, out: Path) -> None:
    """Apply a one-file unified diff to `source`, writing `out`."""
    if shutil.which("patch"):
        proc = subprocess.run(
            ["patch", "--silent", "--force", "-o", str(out), str(source), str(patch)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"patch failed on {source}: {proc.stdout}{proc.stderr}")
        return
    out.write_text(_apply_unified(source.read_text(), patch.read_text()))


def _apply_unified(text: str, diff: str) -> str:
    lines = text.splitlines(keepends=True)
    result: list[str] = []
    position = 0
    hunk = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
    diff_lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(diff_lines):
        header = hunk.match(diff_lines[i])
        i += 1
        if not header:
            continue
        start = int(header.group(1)) - 1
        result.extend(lines[position:start])
        position = start
        while i < len(diff_lines) and not diff_lines[i].startswith("@@"):
            line = diff_lines[i]
            tag, body = line[:1], line[1:]
            if tag in (" ", "-"):
                if lines[position].rstrip("\n") != body.rstrip("\n"):
                    raise RuntimeError(f"patch does not match line {position + 1}: {body!r}")
                position += 1
                if tag == " ":
                    result.append(lines[position - 1])
            elif tag == "+":
                result.append(body if body.endswith("\n") else body + "\n")
            i += 1
    result.extend(lines[position:])
    return "".join(result)


def run_fixed(case: dict[str, Any], fix: str, timeout: float) -> dict[str, Any]:
    fix_path = ROOT / fix
    if fix_path.suffix == ".py":
        return run_plain(fix_path, timeout)
    with tempfile.TemporaryDirectory(prefix="nndoctor-fix-") as tmp:
        fixed = Path(tmp) / Path(case["script"]).name
        apply_patch(ROOT / case["script"], fix_path, fixed)
        return run_plain(fixed, timeout)


# ---------------------------------------------------------------- verdict


def final_metric(line: str) -> tuple[str, float] | None:
    """('higher'|'lower', value) of the last metric named on a final line."""
    found: list[tuple[int, str, float]] = []
    for pattern, direction in ((HIGHER_IS_BETTER, "higher"), (LOWER_IS_BETTER, "lower")):
        for match in pattern.finditer(line):
            number = re.search(NUMBER, line[match.end() :], re.IGNORECASE)
            if number:
                found.append((match.start(), direction, float(number.group(0))))
    if not found:
        return None
    higher = [f for f in found if f[1] == "higher"]
    _, direction, value = (higher or found)[-1]
    return direction, value


def fix_learns(plain: dict[str, Any], fixed: dict[str, Any]) -> bool | None:
    if fixed["exit_code"] != 0:
        return False
    if plain["exit_code"] != 0:
        return True
    before, after = final_metric(plain["final"]), final_metric(fixed["final"])
    if before is None or after is None or before[0] != after[0]:
        return None
    direction, old = before
    new = after[1]
    if old != old:  # NaN before: any finite result learns
        return new == new
    if direction == "higher":
        return new > old + CLEARLY_BETTER
    return new < old * (1 - 2 * CLEARLY_BETTER)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run each case plainly, and its fix.")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="cases whose path contains this text (repeatable)",
    )
    parser.add_argument(
        "--missing", action="store_true", help="only cases with no recorded plain_final yet"
    )
    parser.add_argument("--write", action="store_true", help="store the results in the manifest")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per run (default 60)")
    args = parser.parse_args(argv)

    manifest = json.loads(MANIFEST.read_text())
    cases = [
        c
        for c in manifest["cases"]
        if (not args.only or any(text in c["script"] for text in args.only))
        and not (args.missing and "plain_final" in c)
    ]
    results: dict[str, dict[str, Any]] = {}
    not_learning: list[str] = []
    for case in cases:
        plain = run_plain(ROOT / case["script"], args.timeout)
        entry: dict[str, Any] = {"plain_final": plain["final"], "plain_seconds": plain["seconds"]}
        print(f"{case['script']}  ({plain['seconds']:.1f} s)\n  plain: {plain['final']}")
        fix = case.get("fix") or default_fix(case)
        if fix is not None:
            if not (ROOT / fix).is_file():
                print(f"  fixed: no fix at {fix}")
            else:
                fixed = run_fixed(case, fix, args.timeout)
                learns = fix_learns(plain, fixed)
                entry.update(fix=fix, fixed=fixed["final"], fix_learns=learns)
                print(f"  fixed: {fixed['final']}  ({fixed['seconds']:.1f} s; learns: {learns})")
                if learns is not True:
                    not_learning.append(case["script"])
        results[case["script"]] = entry
        sys.stdout.flush()
        if args.write:
            _write(results)

    if not_learning:
        print("\nfixes not shown to learn (false or undecided):")
        for script in not_learning:
            print(f"  {script}")
    return 0


def _write(results: dict[str, dict[str, Any]]) -> None:
    # Re-read each time: the manifest may have been edited while cases ran.
    manifest = json.loads(MANIFEST.read_text())
    for case in manifest["cases"]:
        entry = results.get(case["script"])
        if entry is None:
            continue
        case.update(entry)
        if not case.get("plain"):
            case["plain"] = entry["plain_final"]
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
