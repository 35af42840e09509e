"""The real-world fault corpus's manifest is well formed (no case is run here)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from conftest import ROOT

MANIFEST = ROOT / "bench" / "realworld" / "manifest.json"
# ../shared/TAXONOMY.md beside the repository (the nearest one up, from a git worktree too)
TAXONOMY = next(
    (
        p / "shared" / "TAXONOMY.md"
        for p in ROOT.parents
        if (p / "shared" / "TAXONOMY.md").is_file()
    ),
    ROOT.parent / "shared" / "TAXONOMY.md",
)
FRAMEWORKS = {"torch", "keras", "numpy"}


def cases() -> list[dict]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["cases"]


def taxonomy_ids() -> set[str]:
    text = TAXONOMY.read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^\| `([a-z0-9-]+)`", text, re.MULTILINE)}


def test_every_case_and_fix_exists_with_a_unique_name():
    stems = [Path(c["script"]).stem for c in cases()]
    assert len(stems) == len(set(stems)), "fixes are named by stem: stems must be unique"
    for case in cases():
        assert (ROOT / case["script"]).is_file(), case["script"]
        assert case["framework"] in FRAMEWORKS, case
        assert Path(case["script"]).parent.name == case["framework"], case["script"]
        if case["expected"]:
            assert (ROOT / case["fix"]).is_file(), case["script"]
        else:
            assert case["healthy"] and "fix" not in case, case["script"]


def test_labelled_faults_are_taxonomy_ids():
    known = taxonomy_ids()
    assert len(known) > 20, "TAXONOMY.md parsing found too few ids"
    for case in cases():
        assert set(case["expected"]) <= known, (case["script"], set(case["expected"]) - known)
        assert len(set(case["expected"])) == len(case["expected"]), case["script"]


def test_enough_buggy_cases_per_framework_and_some_healthy_controls():
    assert len(cases()) >= 40
    buggy = Counter(c["framework"] for c in cases() if c["expected"])
    assert all(buggy[fw] >= 10 for fw in FRAMEWORKS), buggy
    assert sum(1 for c in cases() if not c["expected"]) >= 3


def test_every_case_cites_its_source_and_symptom():
    for case in cases():
        assert re.match(r"https?://\S+$", case["source"]), case["script"]
        assert case["symptom"].strip(), case["script"]
        assert case["source"] in (ROOT / case["script"]).read_text(encoding="utf-8") or any(
            part in (ROOT / case["script"]).read_text(encoding="utf-8")
            for part in re.findall(r"\d{5,}", case["source"])
        ), f"{case['script']} does not name its source"
