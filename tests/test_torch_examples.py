"""Realistic PyTorch training scripts, diagnosed through `nndoctor run`.

bench/manifest.json records, for every script, the true root causes read
from its code (`expected`, most important first; [] for a healthy control).
"""

from __future__ import annotations

import pytest
from conftest import CASES, ROOT, bench_cases, run_script, slow_case

pytest.importorskip("torch")

TORCH = CASES / "torch"
MANIFEST = bench_cases("torch")

# The cause and mechanism ids of TAXONOMY.md (a contract: never renamed).
CAUSE_IDS = frozenset(
    {
        "labels-not-encoded",
        "inputs-not-normalized",
        "targets-not-normalized",
        "labels-misaligned",
        "class-imbalance",
        "bad-data-values",
        "unshuffled-data",
        "missing-output-activation",
        "double-softmax",
        "softmax-single-unit",
        "wrong-loss-for-task",
        "bad-init",
        "wrong-activation",
        "unstable-loss",
        "over-regularization",
        "lr-too-high",
        "lr-too-low",
        "params-not-updated",
        "grad-not-zeroed",
        "wrong-gradient",
        "too-few-updates",
        "bad-batch-size",
        "eval-bug",
        "dead-relu",
        "saturated-activations",
        "vanishing-gradient",
        "exploding-gradient",
        "nan-loss",
    }
)


def _case_id(case: dict) -> str:
    return case["script"].rsplit("/", 1)[-1].removesuffix(".py")


def _problems(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] in ("error", "warning")]


def _summary(findings: list[dict]) -> str:
    return ", ".join(f"{f['id']} ({f['severity']}, {f['kind']})" for f in findings) or "none"


def test_manifest_covers_every_script():
    listed = sorted(case["script"] for case in MANIFEST)
    on_disk = sorted(str(p.relative_to(ROOT)) for p in TORCH.glob("*.py"))
    assert listed == on_disk
    for case in MANIFEST:
        assert case["healthy"] is (case["expected"] == []), case["script"]
        unknown = set(case["expected"]) - CAUSE_IDS
        assert not unknown, f"{case['script']}: ids not in TAXONOMY.md: {sorted(unknown)}"
        assert case["description"] and case["plain"], case["script"]


def _without_rule(case: dict) -> list[str]:
    from nndoctor.rules import by_id

    return [cause for cause in case["expected"] if cause not in by_id()]


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=slow_case(c["script"]), id=_case_id(c)) for c in MANIFEST]
)
def test_torch_example_diagnosis(case, tmp_path, request):
    if _without_rule(case):
        # A known gap, visible in every run: nndoctor has no rule for this cause yet.
        # Strict: the day a rule lands and finds it, this marker must go.
        request.applymarker(
            pytest.mark.xfail(
                strict=True, reason=f"no rule yet for {', '.join(_without_rule(case))}"
            )
        )
    elif case.get("known_failure"):
        # A case nndoctor gets wrong today, recorded in the manifest for the rule owner.
        request.applymarker(
            pytest.mark.xfail(strict=True, reason=f"known failure: {case['known_failure'][:200]}")
        )
    result, report = run_script(ROOT / case["script"], tmp_path, options=["--quiet"])
    assert result.returncode == 0, result.stdout + result.stderr
    problems = _problems(report)

    if case["healthy"]:
        assert report["healthy"] is True, (
            f"{case['script']} is a healthy control ({case['description']}) "
            f"but nndoctor found: {_summary(problems)}"
        )
        return

    expected = case["expected"]
    top = [f["id"] for f in problems[: len(expected) + 1]]
    missing = [cause for cause in expected if cause not in top]
    assert not missing, (
        f"{case['script']}: expected {expected} within the first {len(expected) + 1} "
        f"warnings/errors, missing {missing}; found (ranked): {_summary(problems)}"
    )
    assert report["healthy"] is False, _summary(problems)
