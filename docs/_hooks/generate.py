"""MkDocs hook: the pages written from the code, generated at build time, never by hand.

- `findings/<id>.md`: one page per finding id, the rule's docstring, exactly what
  `nndoctor explain ID` prints (both read `nndoctor.rules.pages()`).
- `findings/index.md`: every id with its kind and one-line meaning.
- `benchmark.md`: `bench/results.json` rendered by the same function that writes
  BENCHMARKS.md (`bench/run.py: markdown`), so the two cannot disagree.

mkdocs.yml names this file under `hooks:`; `make docs` and `make test` build with it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]


def on_files(files: Files, config: Any) -> Files:
    for path, text in generated_pages().items():
        files.append(File.generated(config, path, content=text))
    return files


def generated_pages() -> dict[str, str]:
    pages = finding_pages()
    pages["benchmark.md"] = benchmark_page()
    return pages


def finding_pages() -> dict[str, str]:
    # This checkout's source, also when nndoctor is installed from elsewhere. At call
    # time: MkDocs puts sys.path back after it loads a hook.
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    from nndoctor.rules import pages

    out: dict[str, str] = {}
    rows = []
    for finding_id, (kind, page) in pages().items():
        summary, _, body = page.partition("\n")
        out[f"findings/{finding_id}.md"] = (
            f"# {finding_id}\n\n"
            f"*{kind}* · `nndoctor explain {finding_id}` prints this page.\n\n"
            f"**{summary.strip()}**\n{body}\n"
        )
        rows.append(f"| [`{finding_id}`]({finding_id}.md) | {kind} | {_cell(summary)} |")
    out["findings/index.md"] = "\n".join(
        [
            "# Findings",
            "",
            "Every id nndoctor reports, with its one-line meaning; `nndoctor rules` prints",
            "the same list. A **cause** is something to change in your code, a",
            "**symptom** is what you see. Each page is the rule's own docstring, as",
            "`nndoctor explain ID` prints it.",
            "",
            "| id | kind | meaning |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )
    return out


def _cell(text: str) -> str:
    return text.strip().replace("|", "\\|")


def benchmark_page() -> str:
    spec = importlib.util.spec_from_file_location("nndoctor_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up while the class is made
    spec.loader.exec_module(bench)
    doc = json.loads((ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    overhead_path = ROOT / "bench" / "overhead.json"
    overhead = (
        json.loads(overhead_path.read_text(encoding="utf-8")) if overhead_path.is_file() else None
    )
    known = {
        c.script: c.known_failure for c in bench.load_cases(ROOT / "bench" / "manifest.json")[0]
    }
    for case in doc["cases"]:
        case.setdefault("known_failure", known.get(case["script"]))
    text = bench.markdown(
        doc["cases"], doc["summary"], doc["meta"], overhead, doc["meta"]["skipped_sources"]
    )
    title, _, rest = text.partition("\n")
    intro = (
        "# Benchmark\n\n"
        "Does nndoctor name the right cause, how early, and what does watching cost? "
        "This page is generated from `bench/results.json` by the function that writes "
        "`BENCHMARKS.md`; `make bench` measures it again (see "
        "[Development](development.md#the-benchmark) for what it runs and how a case "
        "is scored).\n"
    )
    return intro + rest.replace("\n# ", "\n## ")
