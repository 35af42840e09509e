"""The seed questions of ../shared/seeds, re-created, diagnosed through `nndoctor run`."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, problem_ids

SEEDS = EXAMPLES / "seeds"

# The question's true causes: each must rank within the first len(causes) problems.
EXPECTED = {
    "seed_000.py": {"labels-not-encoded", "too-few-updates"},
    "seed_001.py": {"wrong-gradient", "bad-init", "lr-too-low", "eval-bug"},
    "seed_002.py": {"params-not-updated", "wrong-gradient"},
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_seed_true_causes_ranked_first(run, script):
    result, report = run(SEEDS / script)
    assert result.returncode == 0, result.stderr
    expected = EXPECTED[script]
    causes = [
        f["id"]
        for f in report["findings"]
        if f["kind"] == "cause" and f["severity"] in ("error", "warning")
    ]
    assert set(causes[: len(expected)]) == expected, causes
    assert report["healthy"] is False


@pytest.mark.parametrize("script", [s.replace(".py", "_fixed.py") for s in sorted(EXPECTED)])
def test_fixed_seed_is_healthy_and_learns(run, script):
    result, report = run(SEEDS / script)
    assert result.returncode == 0, result.stderr
    assert problem_ids(report) == [], report["findings"]
    assert report["healthy"] is True
    assert "accuracy" in result.stdout
