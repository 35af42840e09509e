"""Every snippet of the README and the docs runs, so the docs cannot go stale.

- A fenced block tagged `python` runs in a fresh interpreter and must exit 0.
- In a block tagged `sh`, every line that starts with `nndoctor` (or
  `.venv/bin/nndoctor`) runs, in order, one working folder per page (so a page
  can `nndoctor report` the folder an earlier block wrote); it must exit with a
  documented code (0, or 1 for a finding under `--strict`) and print no
  traceback. Other lines (`make`, `pip`, `python bench/...`) are setup or long
  jobs and are not run here: `make test` and CI run those.
- A block that only shows output is tagged `text` and is not run.
- A block right after an HTML comment `<!-- not run ... -->` is skipped; the
  comment says why.

The finding pages and the benchmark page are generated at build time
(docs/_hooks/generate.py); the last tests check they come from the code.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
NOT_RUN = "<!-- not run"
COMMANDS = ("nndoctor ", ".venv/bin/nndoctor ")
SNIPPET_TIMEOUT = 180  # seconds; the slowest block, the Keras callback, takes ~10 s alone


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    code: str
    skipped: bool

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    out = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        skipped = bool(before) and before[-1].strip().startswith(NOT_RUN)
        line = text.count("\n", 0, match.start()) + 1
        out.append(Block(page, line, match.group(1), match.group(2), skipped))
    return out


ALL = [b for page in PAGES for b in blocks(page)]
PYTHON = [b for b in ALL if b.lang == "python" and not b.skipped]
SHELL_PAGES = sorted({b.page for b in ALL if b.lang == "sh" and not b.skipped})


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}


def _workdir(tmp_path: Path) -> Path:
    """A folder where the docs' relative paths (examples/, bench/) resolve."""
    for name in ("examples", "bench"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def test_every_block_is_tagged():
    untagged = [b.name for b in ALL if not b.lang]
    assert untagged == [], "tag each block python, sh or text: " + ", ".join(untagged)


def test_the_snippet_runner_finds_the_snippets():
    assert len(PYTHON) >= 5
    commands = [c for page in SHELL_PAGES for c in _commands(page)]
    assert len(commands) >= 8, commands


@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_python_snippet_runs(block: Block, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-c", block.code],
        cwd=_workdir(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT,
    )
    assert result.returncode == 0, f"{block.name}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _commands(page: Path) -> list[tuple[str, list[str]]]:
    out = []
    for block in blocks(page):
        if block.lang != "sh" or block.skipped:
            continue
        for line in block.code.splitlines():
            if line.startswith(COMMANDS):
                words = shlex.split(line, comments=True)
                out.append((f"{block.name}: {line.strip()}", words[1:]))
    return out


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """Runs a documented command once: the pages repeat the same few commands."""
    cwd = _workdir(tmp_path_factory.mktemp("docs-sh"))
    done: dict[tuple[str, ...], subprocess.CompletedProcess] = {}

    def run(args: list[str]) -> subprocess.CompletedProcess:
        key = tuple(args)
        if key not in done or args[0] == "report":  # report reads what runs wrote
            done[key] = subprocess.run(
                [sys.executable, "-m", "nndoctor", *args],
                cwd=cwd,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=SNIPPET_TIMEOUT,
            )
        return done[key]

    return run


@pytest.mark.parametrize("page", SHELL_PAGES, ids=[str(p.relative_to(ROOT)) for p in SHELL_PAGES])
def test_shell_snippets_run(page: Path, shell):
    for name, args in _commands(page):
        result = shell(args)
        output = f"{name}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        assert result.returncode in (0, 1), output
        assert "Traceback" not in result.stderr, output
        assert result.stdout.strip(), output


def _hook():
    path = ROOT / "docs" / "_hooks" / "generate.py"
    spec = importlib.util.spec_from_file_location("nndoctor_docs_hook", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_finding_page_is_what_explain_prints():
    from nndoctor.rules import RULES, explain

    pages = _hook().finding_pages()
    for rule in RULES:
        page = pages[f"findings/{rule.ID}.md"]
        body = explain(rule.ID).split("\n\n", 1)[1]
        summary, _, rest = body.partition("\n")
        assert f"**{summary}**" in page and rest.strip() in page, rule.ID
        assert f"[`{rule.ID}`]({rule.ID}.md)" in pages["findings/index.md"]
    assert "findings/internal-error.md" in pages


def test_benchmark_page_is_made_from_results_json():
    import json

    page = _hook().benchmark_page()
    summary = json.loads((ROOT / "bench" / "results.json").read_text())["summary"]
    assert f"| {summary['top2']:.2f} |" in page
    assert page.startswith("# Benchmark\n") and "\n# " not in page


def test_rule_examples_are_tagged_and_their_python_compiles():
    """The finding pages' examples are fragments of a training script (`model`, `x`
    undefined), so they are not run; they must still be valid Python."""
    from nndoctor.rules import pages

    for finding_id, (_, page) in pages().items():
        for match in FENCE.finditer(page):
            assert match.group(1) in ("python", "text"), (finding_id, match.group(0))
            if match.group(1) == "python":
                compile(match.group(2), f"findings/{finding_id}.md", "exec")
