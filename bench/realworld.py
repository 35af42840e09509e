"""Score nndoctor on the real-world fault corpus (bench/realworld/), as the papers do.

Each case of bench/realworld/manifest.json goes through `nndoctor run` (bench/run.py's
run_case and score, one case at a time, one math thread), and the report's problems
(warning/error findings, in order) are compared with the case's labelled faults:

  recall            labelled faults reported / labelled faults (micro, over buggy cases;
                    macro: the mean of the per-case fractions)
  precision         reported fault ids that are labelled / reported fault ids, over buggy
                    cases; symptoms and notes about the run (SYMPTOMS below) are not fault
                    claims and are left out, as DeepFD/AutoTrainer count diagnosed fault types
  first_cause_top2  the true (first) cause among the first two problems
  top2              bench/run.py's measure: every labelled fault within len(expected)+1
  called_healthy    buggy cases with no warning/error at all (must be 0)
  fix_validated     buggy cases whose first cause's fix trial beat the margin (report's `validated`)
  healthy_false_alarms  healthy controls with a warning/error
  corpus_fixes_learn    the corpus's own fixes shown to train by bench/realworld/check.py

and writes bench/realworld/results.json.

    python bench/realworld.py                    # every case (long: run it in the background)
    python bench/realworld.py --only keras       # cases whose path contains the text
    python bench/realworld.py --summary-only     # recompute the summary of results.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _env, _git, load_cases, run_case  # noqa: E402

MANIFEST = HERE / "realworld" / "manifest.json"
RESULTS = HERE / "realworld" / "results.json"
# Ids of ../shared/TAXONOMY.md's "Symptoms", "About the run" and "About nndoctor itself":
# what the user sees, not a fault; nan-loss is the symptom of the mechanisms table.
SYMPTOMS = {
    "prediction-collapse",
    "loss-plateau",
    "accuracy-stuck",
    "predictions-ignore-input",
    "no-better-than-baseline",
    "validation-at-chance",
    "script-failed",
    "no-training-observed",
    "internal-error",
    "nan-loss",
}


def case_scores(result: dict[str, Any]) -> dict[str, Any]:
    """Paper-style scores of one buggy case's result (bench/run.py's score)."""
    found = result.get("found") or []
    expected = result["expected"]
    claims = [i for i in dict.fromkeys(found) if i not in SYMPTOMS]
    hit = [i for i in expected if i in found]
    return {
        "claims": claims,
        "labelled_found": len(hit),
        "labelled": len(expected),
        "claims_labelled": sum(i in expected for i in claims),
        "first_cause_rank": found.index(expected[0]) + 1 if expected[0] in found else None,
        "first_cause_top2": expected[0] in found[:2],
        "called_healthy": result.get("found") == [],
    }


def summarize(results: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    buggy = [r for r in results if not r["healthy_expected"]]
    healthy = [r for r in results if r["healthy_expected"]]
    learns = {c["script"]: c.get("fix_learns") for c in manifest["cases"] if c.get("expected")}

    def share(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    labelled = sum(r["scores"]["labelled"] for r in buggy)
    claims = sum(len(r["scores"]["claims"]) for r in buggy)
    return {
        "cases": len(results),
        "buggy": len(buggy),
        "healthy": len(healthy),
        "recall": round(sum(r["scores"]["labelled_found"] for r in buggy) / labelled, 4)
        if labelled
        else None,
        "recall_macro": share(
            [r["scores"]["labelled_found"] / r["scores"]["labelled"] for r in buggy]
        ),
        "precision": round(sum(r["scores"]["claims_labelled"] for r in buggy) / claims, 4)
        if claims
        else None,
        "first_cause_top2": share([r["scores"]["first_cause_top2"] for r in buggy]),
        "top2": share([bool(r["top2"]) for r in buggy]),
        "called_healthy": [r["script"] for r in buggy if r["scores"]["called_healthy"]],
        "fix_validated": share([r.get("first_cause_validated") is True for r in buggy]),
        "healthy_false_alarms": [r["script"] for r in healthy if r["false_alarm"]],
        "corpus_fixes_learn": share([learns.get(r["script"]) is True for r in buggy]),
        "errors": {r["script"]: r["error"] for r in results if r.get("error")},
        "by_framework": {
            fw: {
                "buggy": len(rs),
                "first_cause_top2": share([r["scores"]["first_cause_top2"] for r in rs]),
                "recall_macro": share(
                    [r["scores"]["labelled_found"] / r["scores"]["labelled"] for r in rs]
                ),
            }
            for fw in sorted({r["framework"] for r in buggy})
            for rs in [[r for r in buggy if r["framework"] == fw]]
        },
        "misses": [
            {"script": r["script"], "expected": r["expected"], "found": r["found"]}
            for r in buggy
            if not r["scores"]["first_cause_top2"]
            or r["scores"]["labelled_found"] < r["scores"]["labelled"]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score nndoctor on bench/realworld/.")
    parser.add_argument(
        "--only", action="append", default=[], help="cases whose path contains this"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--plain", action="store_true", help="also time a plain run of each case")
    parser.add_argument("--results", type=Path, default=None, help=f"default {RESULTS}")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="recompute the summary of the results file (after check.py --write), no runs",
    )
    args = parser.parse_args(argv)
    if args.summary_only:
        path = args.results or RESULTS
        doc = json.loads(path.read_text(encoding="utf-8"))
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
        doc["summary"] = summarize(doc["cases"], manifest)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({k: v for k, v in doc["summary"].items() if k != "misses"}, indent=1))
        return 0

    cases, _, notes = load_cases(MANIFEST)
    if args.only:
        cases = [c for c in cases if any(t in c.script for t in args.only)]
    if not cases:
        print("realworld: no cases to run", file=sys.stderr)
        return 2
    env = _env(1)
    work = Path(tempfile.mkdtemp(prefix="nndoctor-realworld-"))
    started = time.perf_counter()
    results = []
    try:
        for case in cases:  # one at a time: the machine is shared
            r = run_case(case, work, env, args.timeout, args.plain)
            if not r["healthy_expected"]:
                r["scores"] = case_scores(r)
            results.append(r)
            tag = "ok  " if r["pass"] else "MISS"
            print(
                f"  {tag} {r['script']}: expected {r['expected'] or 'healthy'}, found {r['found']}"
                f"  ({r['seconds_nndoctor']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from nndoctor import __version__

    # re-read: check.py --write may have recorded the fixes while the cases ran
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    summary = summarize(results, manifest)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "nndoctor": __version__,
        "git": _git(),
        "python": platform.python_version(),
        "seconds": round(time.perf_counter() - started, 1),
        "subset": args.only or None,
        "skipped": notes,
    }
    out = args.results or (RESULTS if not args.only else RESULTS.with_name("results-partial.json"))
    out.write_text(
        json.dumps({"meta": meta, "summary": summary, "cases": results}, indent=2) + "\n",
        encoding="utf-8",
    )
    shown = {k: v for k, v in summary.items() if k not in ("misses", "errors")}
    print(json.dumps(shown, indent=1))
    print(f"wrote {out.relative_to(HERE.parent) if out.is_relative_to(HERE.parent) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
