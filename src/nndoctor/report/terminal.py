"""The terminal report: the answer first, then each finding's numbers, fix and place.

Built from rich renderables; colour carries severity only. rich drops colour
by itself in a pipe and when NO_COLOR is set, and the text reads the same.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from nndoctor.findings import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MAX_EVIDENCE = 8  # items shown per finding; report.json has all of them


def renderable(report: Any) -> Group:
    problems = [f for f in report.findings if f.is_problem]
    notes = [f for f in report.findings if not f.is_problem]
    head = Text()
    head.append("nndoctor", style="bold")
    head.append(f" · {report.framework} · ")
    head.append(
        "healthy"
        if report.healthy
        else f"{len(problems)} problem{'s' if len(problems) != 1 else ''}",
        style="green" if report.healthy else "bold red",
    )
    parts: list[Any] = [Rule(head, align="left"), Text(report.summary, style="bold"), Text("")]
    for number, finding in enumerate(problems, 1):
        parts.append(_finding(number, finding))
    if report.experiments:
        checks = Text("checks: ")
        for i, experiment in enumerate(report.experiments):
            checks.append(("" if i == 0 else ", ") + experiment.name + " ")
            checks.append(
                "passed" if experiment.passed else "failed",
                style="green" if experiment.passed else "red",
            )
        parts.append(checks)
    for finding in notes:
        parts.append(
            Text.assemble(("note ", STYLE["info"]), (f"[{finding.id}] ", "dim"), finding.title)
        )
    return Group(*parts)


def _finding(number: int, finding: Finding) -> Padding:
    title = Text()
    title.append(f"{number}. ")
    title.append(f"{finding.severity.upper()} ", style=STYLE[finding.severity])
    title.append(f"{finding.id}", style="bold")
    title.append(f" ({finding.kind}, confidence {finding.confidence:.2f})", style="dim")
    # Two columns, so that a long fix wraps under itself, not under the labels.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(ratio=1)
    where = finding.where
    if finding.location is not None:
        where += f" at {finding.location.file}:{finding.location.line}"
    grid.add_row("where", Text(where))
    items = list(finding.evidence.items())
    for key, value in items[:MAX_EVIDENCE]:
        grid.add_row(f"  {key}", Text(_value(value)))
    if len(items) > MAX_EVIDENCE:
        grid.add_row("", Text(f"... {len(items) - MAX_EVIDENCE} more in report.json"))
    grid.add_row("fix", Text(finding.fix))
    if finding.explains:
        grid.add_row("explains", Text(", ".join(finding.explains)))
    if finding.trial is not None:
        t = finding.trial
        verdict = "fix verified" if finding.validated else f"fix tried, {_not_verified(finding)}"
        grid.add_row("trial", Text(f"{verdict}: {t.metric} {t.before:.4g} -> {t.after:.4g} "
                                   f"in {t.steps} steps"))
    body = Group(Text(finding.title, style="bold"), grid)
    return Padding(Group(title, Padding(body, (0, 0, 0, 3))), (0, 0, 1, 0))


def _not_verified(finding: Finding) -> str:
    if finding.validated is None:
        return "inconclusive (neither copy beat a constant guess)"
    return "did not help"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def render(report: Any, console: Console | None = None) -> None:
    (console or Console()).print(renderable(report))


def render_text(report: Any, width: int = 100) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, color_system=None, force_terminal=False).print(
        renderable(report)
    )
    return buffer.getvalue()
