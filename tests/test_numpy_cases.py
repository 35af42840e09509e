"""Hand-written NumPy training scripts of bench/cases/numpy/, diagnosed through `nndoctor run`.

bench/manifest.json records, for every script, the true root causes read from
its code (`expected`; [] for a healthy control). A case nndoctor gets wrong
today carries `known_failure` (what it reports and why that is wrong): it runs
as a strict xfail, so the day the rule is fixed the marker must go.
"""

from __future__ import annotations

import pytest
from conftest import CASES, ROOT, bench_cases, problem_ids, run_script

NUMPY = CASES / "numpy"
MANIFEST = bench_cases("numpy")


def _case_id(case: dict) -> str:
    return case["script"].rsplit("/", 1)[-1].removesuffix(".py")


def test_manifest_covers_every_numpy_script():
    listed = sorted(case["script"] for case in MANIFEST)
    on_disk = sorted(str(p.relative_to(ROOT)) for p in NUMPY.glob("*.py"))
    assert listed == on_disk
    for case in MANIFEST:
        assert case["framework"] == "numpy", case["script"]
        assert case["healthy"] is (case["expected"] == []), case["script"]
        assert case["description"] and case["plain"], case["script"]


@pytest.mark.parametrize("case", MANIFEST, ids=_case_id)
def test_numpy_case_diagnosis(case, tmp_path, request):
    if case.get("known_failure"):
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason=f"known failure (drop known_failure in bench/manifest.json once fixed): "
                f"{case['known_failure'][:200]}",
            )
        )
    result, report = run_script(ROOT / case["script"], tmp_path, options=["--quiet"])
    assert result.returncode == 0, result.stdout + result.stderr
    problems = problem_ids(report)

    if case["healthy"]:
        assert report["healthy"] is True, (
            f"{case['script']} is a healthy control ({case['description']}) "
            f"but nndoctor found: {problems}"
        )
        return

    expected = case["expected"]
    top = problems[: len(expected) + 1]
    missing = [cause for cause in expected if cause not in top]
    assert not missing, (
        f"{case['script']}: expected {expected} within the first {len(expected) + 1} "
        f"warnings/errors, missing {missing}; found (ranked): {problems}"
    )
