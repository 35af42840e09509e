"""Check the real-world cases themselves: each buggy case shows its fault, and its fix trains.

For every case of bench/realworld/manifest.json (or those whose path contains
`--only TEXT`) this runs the script plainly (`python SCRIPT`, one math thread) and,
for a buggy case, its fix (bench/realworld/fixes/<stem>.patch applied to a temporary
copy), prints the last line of each, and whether the fix learns: its final metric
(accuracy, r2: higher is better; loss, mse: lower) is clearly better than the plain
run's, or the plain run crashed and the fix did not. The machinery is
bench/check_cases.py's, shared.

    python bench/realworld/check.py                 # every case, one at a time
    python bench/realworld/check.py --only numpy    # cases whose path contains the text
    python bench/realworld/check.py --write         # store the results in the manifest

`--write` stores per case `plain_final` (the plain run's last line), `plain_seconds`,
and for buggy cases `fixed` (the fix's last line) and `fix_learns`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from check_cases import ROOT, fix_learns, run_fixed, run_plain  # noqa: E402

MANIFEST = HERE / "manifest.json"


def check(case: dict[str, Any], timeout: float) -> dict[str, Any]:
    plain = run_plain(ROOT / case["script"], timeout)
    entry: dict[str, Any] = {"plain_final": plain["final"], "plain_seconds": plain["seconds"]}
    print(f"{case['script']}  ({plain['seconds']:.1f} s)\n  plain: {plain['final']}")
    fix = case.get("fix")
    if fix:
        fixed = run_fixed(case, fix, timeout)
        entry.update(fixed=fixed["final"], fixed_seconds=fixed["seconds"])
        entry["fix_learns"] = fix_learns(plain, fixed)
        print(
            f"  fixed: {fixed['final']}  ({fixed['seconds']:.1f} s; learns: {entry['fix_learns']})"
        )
    sys.stdout.flush()
    return entry


def write(results: dict[str, dict[str, Any]]) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for case in manifest["cases"]:
        case.update(results.get(case["script"], {}))
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run each real-world case plainly, and its fix.")
    parser.add_argument(
        "--only", action="append", default=[], help="cases whose path contains this"
    )
    parser.add_argument("--write", action="store_true", help="store the results in the manifest")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per run (default 120)")
    args = parser.parse_args(argv)
    cases = json.loads(MANIFEST.read_text(encoding="utf-8"))["cases"]
    cases = [c for c in cases if not args.only or any(t in c["script"] for t in args.only)]
    results: dict[str, dict[str, Any]] = {}
    for case in cases:
        results[case["script"]] = check(case, args.timeout)
        if args.write:
            write(results)
    not_learning = [
        s for s, r in results.items() if "fix_learns" in r and r["fix_learns"] is not True
    ]
    if not_learning:
        print("\nfixes not shown to learn (false or undecided):\n  " + "\n  ".join(not_learning))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
